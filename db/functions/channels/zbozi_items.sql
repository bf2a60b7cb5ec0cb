/*
 * channels.zbozi_items(p_feed_id, p_day): the items of a Zbozi.cz feed (shared/docs/feeds.md
 * "Zbozi.cz"), one per live variant: PRODUCTNAME cut at 255 at a word boundary, DESCRIPTION plain
 * text cut at 5000, prices as money_text, MAX_CPC / MAX_CPC_SEARCH from zboziCZ (else the feed's
 * default_cpc / default_search_cpc), PARAM with UNIT null (Shoptet keeps no unit apart),
 * EXTRA_MESSAGE from settings.extra_message. `excluded`: the rules or zboziCZ.hidden; `problems`
 * as in channels.heureka_items (no name, URL, image, price, category).
 */
create or replace function channels.zbozi_items(p_feed_id bigint, p_day date default current_date)
returns table (
    item_id text, productname text, description text, url text, imgurl text, imgurl_alternative text[],
    price_vat text, max_cpc text, max_cpc_search text, manufacturer text, categorytext text, ean text,
    productno text, params jsonb, delivery_date text, delivery jsonb, extra_message text[], itemgroup_id text,
    excluded text, problems text[])
language sql
stable
set search_path = pg_catalog
set jit = off  -- JIT compiling these wide expressions costs far more than it saves (13 k items: 8 s -> 45 s)
as $$
    select i.item_id,
           channels.cut_text(i.name, 255),
           channels.cut_text(i.description, 5000),
           i.url,
           i.image_url,
           i.extra_images,
           channels.money_text(i.price),
           channels.money_text(case when i.zbozi_cpc >= 0.01 then i.zbozi_cpc end),
           channels.money_text(case when i.zbozi_search_cpc >= 0.01 then i.zbozi_search_cpc end),
           i.manufacturer,
           channels.cut_text(i.category_text, 255),
           i.ean,
           i.product_no,
           i.params,
           i.delivery_days::text,
           (select jsonb_agg(jsonb_build_object('id', d ->> 'id', 'price', channels.money_text((d ->> 'price')::numeric),
                                                'price_cod', channels.money_text((d ->> 'price_cod')::numeric)) order by n)
            from jsonb_array_elements(case when jsonb_typeof(fe.settings -> 'delivery') = 'array'
                                           then fe.settings -> 'delivery' else '[]' end) with ordinality as x (d, n)),
           (select array_agg(e order by n)
            from jsonb_array_elements_text(case when jsonb_typeof(fe.settings -> 'extra_message') = 'array'
                                                then fe.settings -> 'extra_message' else '[]' end) with ordinality as x (e, n)),
           i.group_id,
           coalesce(i.excluded, case when i.zbozi_hidden then 'zboziCZ.hidden' end),
           array_remove(array[
               case when i.name is null then 'PRODUCTNAME: the product has no name' end,
               case when i.url is null then 'URL: the product has no URL' end,
               case when i.image_url is null then 'IMGURL: the product has no image' end,
               case when i.price is null then format('PRICE_VAT: no price in %s (no exchange rate)', i.currency)
                    when i.price <= 0 then format('PRICE_VAT: %s is not a positive price', i.price) end,
               case when i.category_text is null then 'CATEGORYTEXT: the product has no category' end
           ], null)
    from channels.feed_items(p_feed_id, p_day) i
    cross join channels.feeds fe
    where fe.feed_id = p_feed_id
    order by i.product_guid, i.variant_code;
$$;

comment on function channels.zbozi_items(bigint, date) is
    'Items of a Zbozi.cz feed: PRODUCTNAME <= 255 at a word boundary, plain-text DESCRIPTION, MAX_CPC / MAX_CPC_SEARCH, '
    'PARAM, EXTRA_MESSAGE; excluded (rules, zboziCZ.hidden) and problems (invalid: left out) per item';
