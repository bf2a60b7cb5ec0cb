/*
 * channels.feed_items(p_feed_id, p_day): the catalogue of the feed's shop as marketplace items,
 * one row per live variant (products and variants not deleted), with the feed's rules applied.
 * The per-channel functions (channels.heureka_items, zbozi_items, google_items, ...) shape these
 * rows; the rules and the formulas are here once (docs/feeds.md):
 *
 * - item_id: the variant code when it matches [A-Za-z0-9_-]{1,36} (Heureka's ITEM_ID), else
 *   'v' || md5(code) (33 characters, stable). group_id: the product GUID for products with
 *   variants (isVariant), else null.
 * - name: xmlFeedName when not blank, else name; a variant's parameter values are appended.
 * - description: channels.plain_text of description, else of shortDescription.
 * - url: the product URL; a variant of a product with variants gets ?variant=<item_id> (or
 *   &variant=) so that each variant's URL is unique.
 * - image_url: image base (channels.shop_storefronts.image_base_url, else web_url ||
 *   'user/shop/big/', else the product URL's origin || '/user/shop/big/') || the variant's image
 *   or the product's first image; extra_images: the other product images (at most 10).
 * - price: the action price when both its dates are set and p_day is within them, else price;
 *   plus VAT (vat_rate %) when the price is without VAT; converted to the feed's currency:
 *   divided by the rate of the feed currency when the variant is in the shop's default
 *   currency, multiplied by the variant currency's rate when the feed is in the default
 *   currency; the rate is settings.exchange_rate, else the shop's (GET /api/eshop
 *   currencies[].exchangeRate: units of the default currency per unit); rounded to 0.01
 *   (half away from zero). Null when no rate applies.
 * - category_text: settings.category_map looked up by the default category's GUID, then its
 *   path, then its name; else the path (channels.category_paths), else the default category name.
 * - ean: kept when it is 8, 12, 13 or 14 digits (GTIN), else null.
 * - params: the variant parameters then the descriptive parameters, [{name, value}], both non-empty.
 * - delivery_days: in stock (stock > 0, or stock not tracked): settings.delivery_days[availability]
 *   else 0; sold out: settings.delivery_days[availabilityWhenSoldOut] else settings.sold_out_days
 *   else 14.
 * - excluded: why the rules leave the item out (null: included): visibility hidden / blocked /
 *   cash-desk-only, variant not visible, settings.exclude products / variants / categories (GUID,
 *   name or path of any of the product's categories) / flags / stock_zero (stock <= 0) /
 *   price_below (in the feed's currency). The marketplace flags are the channel functions'.
 * Texts pass channels.xml_text (no characters XML 1.0 forbids).
 * Shapes: prices numeric in the feed's currency; delivery_days integer days.
 */
create or replace function channels.feed_items(p_feed_id bigint, p_day date default current_date)
returns table (
    variant_code text, item_id text, group_id text, product_guid uuid, product_type text,
    name text, variant_values text, description text, url text, image_url text, extra_images text[],
    price numeric, currency text, manufacturer text, category_text text, category_path text, category_mapped boolean,
    ean text, product_no text, mpn text, params jsonb, stock numeric, delivery_days integer,
    heureka_cpc numeric, heureka_excluded boolean, zbozi_cpc numeric, zbozi_search_cpc numeric, zbozi_hidden boolean,
    excluded text)
language sql
stable
set search_path = pg_catalog
set jit = off  -- JIT compiling these wide expressions costs far more than it saves (13 k items: 8 s -> 45 s)
as $$
    with f as (
        select fe.feed_id, fe.shop_id, fe.currency, fe.settings, coalesce(fe.settings -> 'exclude', '{}') as ex,
               coalesce(sf.currency, 'CZK') as home_currency, coalesce(sf.currencies, '{}') as rates,
               coalesce(sf.image_base_url, sf.web_url || 'user/shop/big/') as image_base
        from channels.feeds fe
        left join channels.shop_storefronts sf on sf.shop_id = fe.shop_id
        where fe.feed_id = p_feed_id
    ),
    paths as materialized (
        select cp.guid, cp.path from f, channels.category_paths(f.shop_id) cp
    ),
    -- what is the same for every variant of a product, computed once per product
    prod as materialized (
        select p.guid, p.type, p.visibility, p.is_variant, p.url, p.images, p.categories, p.flags,
               p.default_category_guid, p.default_category_name, pa.path as cpath,
               coalesce(nullif(btrim(p.xml_feed_name), ''), p.name) as base_name,
               channels.plain_text(coalesce(nullif(p.description, ''), p.short_description)) as description,
               channels.xml_text(p.brand_name) as brand_name,
               coalesce(f.image_base, substring(p.url from '^(https?://[^/]+)') || '/user/shop/big/') as image_base,
               coalesce(f.settings -> 'category_map' ->> p.default_category_guid::text,
                        f.settings -> 'category_map' ->> pa.path,
                        f.settings -> 'category_map' ->> p.default_category_name) as mapped,
               coalesce((select jsonb_agg(jsonb_build_object('name', channels.xml_text(btrim(e ->> 'name')),
                                                             'value', channels.xml_text(btrim(e ->> 'value'))) order by i)
                         from jsonb_array_elements(case when jsonb_typeof(p.descriptive_parameters) = 'array'
                                                        then p.descriptive_parameters else '[]' end) with ordinality as a (e, i)
                         where coalesce(btrim(e ->> 'name'), '') <> '' and coalesce(btrim(e ->> 'value'), '') <> ''),
                        '[]') as dparams
        from f
        join catalog.products p on p.shop_id = f.shop_id and p.deleted_at is null
        left join paths pa on pa.guid = p.default_category_guid
    ),
    src as (
        select v.code, v.product_guid, pr.*, v.visible, vp.variant_values, vp.vparams, v.image,
               v.ean, v.mpn, v.manufacturer_code, v.stock, v.availability, v.availability_when_sold_out,
               case when v.action_price is not null and v.action_price_from is not null and v.action_price_to is not null
                         and p_day between v.action_price_from and v.action_price_to
                    then v.action_price else v.price end
               * case when v.including_vat is false then 1 + coalesce(v.vat_rate, 0) / 100 else 1 end as gross,
               coalesce(v.currency, f.home_currency) as vcur,
               v.heureka_cpc, v.heureka_feed_excluded, v.zbozi_max_cpc, v.zbozi_max_search_cpc, v.zbozi_hidden
        from f
        join catalog.variants v on v.shop_id = f.shop_id and v.deleted_at is null
        join prod pr on pr.guid = v.product_guid
        cross join lateral (
            select coalesce(string_agg(btrim(e ->> 'value'), ' ' order by i),
                            case when pr.is_variant then regexp_replace(v.name, '^[^:]*:\s*', '') end) as variant_values,
                   coalesce(jsonb_agg(jsonb_build_object('name', channels.xml_text(btrim(e ->> 'name')),
                                                         'value', channels.xml_text(btrim(e ->> 'value'))) order by i)
                                filter (where coalesce(btrim(e ->> 'name'), '') <> ''), '[]') as vparams
            from jsonb_array_elements(case when jsonb_typeof(v.parameters) = 'array' then v.parameters else '[]' end)
                 with ordinality as a (e, i)
            where coalesce(btrim(e ->> 'value'), '') <> ''
        ) vp
    ),
    priced as (
        select s.*,
               case when s.code ~ '^[A-Za-z0-9_-]{1,36}$' then s.code else 'v' || md5(s.code) end as iid,
               round(case
                   when s.vcur = f.currency then s.gross
                   when s.vcur = f.home_currency
                       then s.gross / nullif(coalesce((f.settings ->> 'exchange_rate')::numeric, (f.rates ->> f.currency)::numeric), 0)
                   when f.currency = f.home_currency
                       then s.gross * (f.rates ->> s.vcur)::numeric
               end, 2) as feed_price
        from src s
        cross join f
    )
    select
        p.code,
        p.iid,
        case when p.is_variant then p.product_guid::text end,
        p.product_guid,
        p.type,
        channels.xml_text(btrim(p.base_name || coalesce(' ' || p.variant_values, ''))),
        p.variant_values,
        p.description,
        channels.xml_text(case when p.is_variant and p.url is not null
             then p.url || case when position('?' in p.url) > 0 then '&' else '?' end || 'variant=' || p.iid
             else p.url end),
        channels.xml_text(p.image_base || coalesce(nullif(p.image, ''), p.images ->> 0)),
        (select array_agg(channels.xml_text(p.image_base || (p.images ->> n)) order by n)
         from generate_series(case when coalesce(p.image, '') <> '' then 0 else 1 end,
                              least(coalesce(jsonb_array_length(case when jsonb_typeof(p.images) = 'array' then p.images end), 0) - 1, 10)) n
         where p.images ->> n is distinct from p.image),
        p.feed_price,
        f.currency,
        p.brand_name,
        channels.xml_text(coalesce(p.mapped, p.cpath, p.default_category_name)),
        channels.xml_text(coalesce(p.cpath, p.default_category_name)),
        p.mapped is not null,
        case when p.ean ~ '^([0-9]{8}|[0-9]{12,14})$' then p.ean end,
        channels.xml_text(p.code),
        channels.xml_text(coalesce(nullif(p.mpn, ''), nullif(p.manufacturer_code, ''))),
        p.vparams || p.dparams,
        p.stock,
        case when p.stock is null or p.stock > 0
             then coalesce((f.settings -> 'delivery_days' ->> p.availability)::numeric::integer, 0)
             else coalesce((f.settings -> 'delivery_days' ->> p.availability_when_sold_out)::numeric::integer,
                           (f.settings ->> 'sold_out_days')::numeric::integer, 14)
        end,
        coalesce(nullif(p.heureka_cpc, 0), (f.settings ->> 'default_cpc')::numeric),
        coalesce(p.heureka_feed_excluded, false),
        coalesce(nullif(p.zbozi_max_cpc, 0), (f.settings ->> 'default_cpc')::numeric),
        coalesce(nullif(p.zbozi_max_search_cpc, 0), (f.settings ->> 'default_search_cpc')::numeric),
        coalesce(p.zbozi_hidden, false),
        case
            when p.visibility in ('hidden', 'blocked', 'cash-desk-only') then 'product not shown (visibility ' || p.visibility || ')'
            when p.visible is false then 'variant not visible'
            when f.ex -> 'products' ? p.product_guid::text then 'rule exclude.products'
            when f.ex -> 'variants' ? p.code then 'rule exclude.variants'
            when f.ex ? 'categories' and (
                     f.ex -> 'categories' ?| array[p.default_category_guid::text, p.default_category_name, p.cpath]
                     or exists (select from jsonb_array_elements(case when jsonb_typeof(p.categories) = 'array' then p.categories else '[]' end) c
                                where f.ex -> 'categories' ?| array[lower(c ->> 'guid'), c ->> 'name'])
                     or exists (select from paths pa2
                                where pa2.guid in (select core.normalize_guid(c ->> 'guid')
                                                   from jsonb_array_elements(case when jsonb_typeof(p.categories) = 'array' then p.categories else '[]' end) c)
                                  and f.ex -> 'categories' ? pa2.path))
                then 'rule exclude.categories'
            when f.ex ? 'flags' and p.flags ?| array(select jsonb_array_elements_text(f.ex -> 'flags')) then 'rule exclude.flags'
            when (f.ex ->> 'stock_zero')::boolean is true and p.stock <= 0 then 'rule exclude.stock_zero'
            when p.feed_price < (f.ex ->> 'price_below')::numeric then 'rule exclude.price_below'
        end
    from priced p
    cross join f;
$$;

comment on function channels.feed_items(bigint, date) is
    'The feed''s shop catalogue as marketplace items (one per live variant) with its rules applied: ids, names, plain-text '
    'description, unique URL, image URLs, price in the feed currency (action price, VAT, exchange rate; rounded 0.01), '
    'category text, GTIN, params, delivery days, CPCs and marketplace flags, and why a rule excludes it (docs/feeds.md)';
