/*
 * channels.feed_items(p_feed_id, p_day): the catalogue of the feed's shop as marketplace items,
 * one row per live variant (products and variants not deleted), with the feed's rules applied,
 * ordered by product GUID, then variant code (the variants of a product together).
 * The per-channel functions (channels.offer_items, heureka_items, zbozi_items, google_items)
 * shape these rows; the rules and the formulas are here once (docs/feeds.md):
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
 *   (half away from zero). Null when no rate applies. price_text: channels.money_text(price).
 * - category_text: settings.category_map looked up by the default category's GUID, then its
 *   path, then its name; else the path (channels.category_paths), else the default category name.
 * - ean: kept when it is 8, 12, 13 or 14 digits (GTIN), else null.
 * - params: the variant parameters then the descriptive parameters, [{name, value}], both non-empty.
 * - delivery_days: in stock (stock > 0, or stock not tracked): settings.delivery_days[availability]
 *   else 0; sold out: settings.delivery_days[availabilityWhenSoldOut] else settings.sold_out_days
 *   else 14.
 * - excluded: why the item is left out (null: included), the first that applies: visibility
 *   hidden / blocked / cash-desk-only, variant not visible, settings.exclude products / variants
 *   / categories (GUID, name or path of any of the product's categories) / flags / stock_zero
 *   (stock <= 0) / price_below (in the feed's currency); then the marketplace's own flag for the
 *   feed's channel: heureka.feedExcluded (heureka, heureka-availability), zboziCZ.hidden (zbozi).
 *   The description and descriptive parameters of a product the rules leave out are not
 *   computed (null and '[]'): nothing reads them.
 * Texts are the catalogue's: characters XML 1.0 cannot hold (C0 controls) are the XML writer's to
 * remove (runner/feeds/formats.py, like escaping & and <): one test per written item there costs
 * far less than a regular expression per text value here.
 * Shapes: prices numeric in the feed's currency; delivery_days integer days.
 *
 * Written to stream: a SQL-standard body without SET (bound when created, like the text
 * helpers), so the planner inlines it (and the channel function above it) into the caller's
 * query. Products are read in GUID order with their per-product values computed once, each
 * product's variants in code order beside it: the first rows come at once, memory does not grow
 * with the catalogue, nothing is sorted or materialised. The caller turns JIT off (set_config
 * ('jit', 'off', true), runner/sql/feeds.sql): compiling these wide expressions costs far more
 * than it saves (13 k items: 8 s -> 45 s).
 */
create or replace function channels.feed_items(p_feed_id bigint, p_day date default current_date)
returns table (
    variant_code text, item_id text, group_id text, product_guid uuid, product_type text,
    name text, variant_values text, description text, url text, image_url text, extra_images text[],
    price numeric, price_text text, currency text, manufacturer text, category_text text, category_path text,
    category_mapped boolean, ean text, product_no text, mpn text, params jsonb, stock numeric, delivery_days integer,
    heureka_cpc numeric, zbozi_cpc numeric, zbozi_search_cpc numeric, excluded text)
language sql
stable
begin atomic
    -- the feed's rules and rates, read once
    with fx as (
        select fe.shop_id, fe.currency,
               coalesce(sf.currency, 'CZK') as home_currency,
               coalesce(sf.currencies, '{}') as rates,
               coalesce((fe.settings ->> 'exchange_rate')::numeric, (sf.currencies ->> fe.currency)::numeric) as feed_rate,
               coalesce(sf.image_base_url, sf.web_url || 'user/shop/big/') as image_base,
               fe.settings -> 'category_map' as category_map,
               fe.settings -> 'delivery_days' as delivery_days,
               (fe.settings ->> 'sold_out_days')::numeric::integer as sold_out_days,
               (fe.settings ->> 'default_cpc')::numeric as default_cpc,
               (fe.settings ->> 'default_search_cpc')::numeric as default_search_cpc,
               fe.settings #> '{exclude,products}' as ex_products,
               fe.settings #> '{exclude,variants}' as ex_variants,
               fe.settings #> '{exclude,categories}' as ex_categories,
               array(select jsonb_array_elements_text(fe.settings #> '{exclude,flags}')) as ex_flags,
               coalesce((fe.settings #>> '{exclude,stock_zero}')::boolean, false) as stock_zero,
               (fe.settings #>> '{exclude,price_below}')::numeric as price_below,
               case when fe.channel in ('heureka', 'heureka-availability') then 'heureka'
                    when fe.channel = 'zbozi' then 'zbozi' end as marketplace_flag,
               (select coalesce(jsonb_object_agg(cp.guid, cp.path), '{}') from channels.category_paths(fe.shop_id) cp)
                   as paths
        from channels.feeds fe
        left join channels.shop_storefronts sf on sf.shop_id = fe.shop_id
        where fe.feed_id = p_feed_id
    )
    select
        v.code,
        vx.iid,
        case when pr.is_variant then pr.guid::text end,
        pr.guid,
        pr.type,
        case when vp.variant_values is null then pr.name
             else btrim(pr.base_name || ' ' || vp.variant_values) end,
        vp.variant_values,
        pr.description,
        case when pr.is_variant and pr.url is not null
             then pr.url || case when position('?' in pr.url) > 0 then '&' else '?' end || 'variant=' || vx.iid
             else pr.url end,
        case when v.image is null or v.image = '' then pr.image_url
             else pr.image_base || v.image end,
        case when v.image is null then pr.extra_images
             else (select array_agg(pr.image_base || (pr.images ->> n) order by n)
                   from generate_series(case when v.image <> '' then 0 else 1 end,
                                        least(pr.image_count - 1, 10)) n
                   where pr.images ->> n is distinct from v.image) end,
        vx.feed_price,
        channels.money_text(vx.feed_price),
        pr.currency,
        pr.brand_name,
        pr.category_text,
        pr.category_path,
        pr.mapped is not null,
        case when v.ean ~ '^([0-9]{8}|[0-9]{12,14})$' then v.ean end,
        v.code,
        coalesce(nullif(v.mpn, ''), nullif(v.manufacturer_code, '')),
        vp.vparams || pr.dparams,
        v.stock,
        case when v.stock is null or v.stock > 0
             then coalesce((pr.delivery_days ->> v.availability)::numeric::integer, 0)
             else coalesce((pr.delivery_days ->> v.availability_when_sold_out)::numeric::integer, pr.sold_out_days, 14)
        end,
        coalesce(nullif(v.heureka_cpc, 0), pr.default_cpc),
        coalesce(nullif(v.zbozi_max_cpc, 0), pr.default_cpc),
        coalesce(nullif(v.zbozi_max_search_cpc, 0), pr.default_search_cpc),
        case
            when pr.not_shown is not null then pr.not_shown
            when v.visible is false then 'variant not visible'
            when pr.rule_products then 'rule exclude.products'
            when pr.ex_variants is not null and pr.ex_variants ? v.code then 'rule exclude.variants'
            when pr.rule_categories then 'rule exclude.categories'
            when pr.rule_flags then 'rule exclude.flags'
            when pr.stock_zero and v.stock <= 0 then 'rule exclude.stock_zero'
            when vx.feed_price < pr.price_below then 'rule exclude.price_below'
            when pr.marketplace_flag = 'heureka' and v.heureka_feed_excluded then 'heureka.feedExcluded'
            when pr.marketplace_flag = 'zbozi' and v.zbozi_hidden then 'zboziCZ.hidden'
        end
    -- what is the same for every variant of a product, computed once per product, in GUID order
    from (
        select p.shop_id, p.guid, p.type, p.is_variant, p.images, pc.image_count, pc.base_name, pc.not_shown,
               pc.rule_products, pc.rule_categories, pc.rule_flags, pc.mapped, pc.image_base,
               p.url as url,
               btrim(pc.base_name) as name,
               pc.image_base || (p.images ->> 0) as image_url,
               (select array_agg(pc.image_base || (p.images ->> n) order by n)
                from generate_series(1, least(pc.image_count - 1, 10)) n
                where p.images ->> n is not null) as extra_images,
               p.brand_name as brand_name,
               coalesce(pc.mapped, pc.cpath, p.default_category_name) as category_text,
               coalesce(pc.cpath, p.default_category_name) as category_path,
               case when pc.ruled_out then null
                    else channels.plain_text(coalesce(nullif(p.description, ''), p.short_description)) end as description,
               -- (jsonb_array_elements yields the elements in order: no sort per product)
               case when pc.ruled_out or jsonb_typeof(p.descriptive_parameters) is distinct from 'array' then '[]'
                    else coalesce((select jsonb_agg(jsonb_build_object('name', btrim(e ->> 'name'),
                                                                       'value', btrim(e ->> 'value')))
                                   from jsonb_array_elements(p.descriptive_parameters) e
                                   where coalesce(btrim(e ->> 'name'), '') <> '' and coalesce(btrim(e ->> 'value'), '') <> ''),
                                  '[]') end as dparams,
               fx.currency, fx.home_currency, fx.rates, fx.feed_rate, fx.delivery_days, fx.sold_out_days,
               fx.default_cpc, fx.default_search_cpc, fx.ex_variants, fx.stock_zero, fx.price_below, fx.marketplace_flag
        from catalog.products p
        cross join fx
        cross join lateral (
            select r.*, r.not_shown is not null or r.rule_products or r.rule_categories or r.rule_flags as ruled_out
            from (
                select q.*,
                       case when p.visibility in ('hidden', 'blocked', 'cash-desk-only')
                            then 'product not shown (visibility ' || p.visibility || ')' end as not_shown,
                       coalesce(fx.ex_products ? p.guid::text, false) as rule_products,
                       fx.ex_categories is not null and (
                           fx.ex_categories ?| array[p.default_category_guid::text, p.default_category_name, q.cpath]
                           or exists (select from jsonb_array_elements(q.cats) c
                                      where fx.ex_categories ?| array[lower(c ->> 'guid'), c ->> 'name',
                                                                      fx.paths ->> core.normalize_guid(c ->> 'guid')::text]))
                           as rule_categories,
                       cardinality(fx.ex_flags) > 0 and coalesce(p.flags ?| fx.ex_flags, false) as rule_flags
                from (
                    select fx.paths ->> p.default_category_guid::text as cpath,
                           coalesce(nullif(btrim(p.xml_feed_name), ''), p.name) as base_name,
                           coalesce(fx.image_base, substring(p.url from '^(https?://[^/]+)') || '/user/shop/big/') as image_base,
                           coalesce(jsonb_array_length(case when jsonb_typeof(p.images) = 'array' then p.images end), 0)
                               as image_count,
                           case when jsonb_typeof(p.categories) = 'array' then p.categories else '[]' end as cats,
                           coalesce(fx.category_map ->> p.default_category_guid::text,
                                    fx.category_map ->> (fx.paths ->> p.default_category_guid::text),
                                    fx.category_map ->> p.default_category_name) as mapped
                ) q
            ) r
            offset 0  -- each rule once per product (ruled_out and excluded both read them)
        ) pc
        -- the shop as a value known before the scan (not a join column): the primary key's order
        -- (shop_id, guid) is then the order by guid, and no sort is needed
        where p.shop_id = (select fx.shop_id from fx) and p.deleted_at is null
        order by p.guid
        offset 0  -- keeps the per-product values computed once per product, not once per variant
    ) pr
    -- the product's live variants, in code order
    cross join lateral (
        select v.code, v.image, v.ean, v.mpn, v.manufacturer_code, v.stock, v.visible, v.parameters, v.name,
               v.availability, v.availability_when_sold_out, v.heureka_cpc, v.zbozi_max_cpc, v.zbozi_max_search_cpc,
               v.heureka_feed_excluded, v.zbozi_hidden, v.price, v.action_price, v.action_price_from,
               v.action_price_to, v.including_vat, v.vat_rate, v.currency
        from catalog.variants v
        where v.shop_id = pr.shop_id and v.product_guid = pr.guid and v.deleted_at is null
        order by v.code
        offset 0
    ) v
    cross join lateral (
        select coalesce(string_agg(btrim(e ->> 'value'), ' '),
                        case when pr.is_variant then regexp_replace(v.name, '^[^:]*:\s*', '') end) as variant_values,
               coalesce(jsonb_agg(jsonb_build_object('name', btrim(e ->> 'name'),
                                                     'value', btrim(e ->> 'value')))
                            filter (where coalesce(btrim(e ->> 'name'), '') <> ''), '[]') as vparams
        from jsonb_array_elements(case when jsonb_typeof(v.parameters) = 'array' then v.parameters else '[]' end) e
        where coalesce(btrim(e ->> 'value'), '') <> ''
    ) vp
    cross join lateral (
        select case when v.code ~ '^[A-Za-z0-9_-]{1,36}$' then v.code else 'v' || md5(v.code) end as iid,
               round(case
                   when g.vcur = pr.currency then g.gross
                   when g.vcur = pr.home_currency then g.gross / nullif(pr.feed_rate, 0)
                   when pr.currency = pr.home_currency then g.gross * (pr.rates ->> g.vcur)::numeric
               end, 2) as feed_price
        from (
            select case when v.action_price is not null and v.action_price_from is not null
                              and v.action_price_to is not null
                              and p_day between v.action_price_from and v.action_price_to
                        then v.action_price else v.price end
                   * case when v.including_vat is false then 1 + coalesce(v.vat_rate, 0) / 100 else 1 end as gross,
                   coalesce(v.currency, pr.home_currency) as vcur
        ) g
    ) vx
    order by pr.guid, v.code;
end;

comment on function channels.feed_items(bigint, date) is
    'The feed''s shop catalogue as marketplace items (one per live variant, by product then variant code) with its '
    'rules applied: ids, names, plain-text description, unique URL, image URLs, price in the feed currency (action '
    'price, VAT, exchange rate; rounded 0.01) and as text, category text, GTIN, params, delivery days, CPCs, and why '
    'the rules or the channel''s marketplace flag exclude it (docs/feeds.md). Inlined into the caller: streams';
