/*
 * channels.heureka_items(p_feed_id, p_day): the items of a Heureka offer feed, one per live
 * variant in SHOPITEM element order (shared/docs/feeds.md "Heureka.cz - offer feed"), values
 * shaped for the XML writer: texts cut at the limits at a word boundary (PRODUCTNAME 200,
 * CATEGORYTEXT 255, DESCRIPTION 5000), prices as money_text in the feed's currency,
 * DELIVERY_DATE in days. `excluded` says why the rules or heureka.feedExcluded leave the item
 * out; `problems` lists what makes an included item invalid (it is left out and counted):
 * no name, no URL or URL > 300, no image or IMGURL > 255, no price (no exchange rate) or not
 * positive, no category. Ordered by product, then variant code (variants of a product together).
 */
create or replace function channels.heureka_items(p_feed_id bigint, p_day date default current_date)
returns table (
    item_id text, productname text, description text, url text, imgurl text, imgurl_alternative text[],
    price_vat text, heureka_cpc text, manufacturer text, categorytext text, ean text, productno text,
    params jsonb, delivery_date text, delivery jsonb, itemgroup_id text, stock numeric, delivery_days integer,
    excluded text, problems text[])
language sql
stable
set search_path = pg_catalog
set jit = off  -- JIT compiling these wide expressions costs far more than it saves (13 k items: 8 s -> 45 s)
as $$
    select i.item_id,
           channels.cut_text(i.name, 200),
           channels.cut_text(i.description, 5000),
           i.url,
           i.image_url,
           i.extra_images,
           channels.money_text(i.price),
           channels.money_text(case when i.heureka_cpc >= 0.01 then i.heureka_cpc end),
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
           i.group_id,
           i.stock,
           i.delivery_days,
           coalesce(i.excluded, case when i.heureka_excluded then 'heureka.feedExcluded' end),
           array_remove(array[
               case when i.name is null then 'PRODUCTNAME: the product has no name' end,
               case when i.url is null then 'URL: the product has no URL'
                    when char_length(i.url) > 300 then 'URL: longer than 300 characters' end,
               case when i.image_url is null then 'IMGURL: the product has no image'
                    when char_length(i.image_url) > 255 then 'IMGURL: longer than 255 characters' end,
               case when i.price is null then format('PRICE_VAT: no price in %s (no exchange rate)', i.currency)
                    when i.price <= 0 then format('PRICE_VAT: %s is not a positive price', i.price) end,
               case when i.category_text is null then 'CATEGORYTEXT: the product has no category' end
           ], null)
    from channels.feed_items(p_feed_id, p_day) i
    cross join channels.feeds fe
    where fe.feed_id = p_feed_id
    order by i.product_guid, i.variant_code;
$$;

comment on function channels.heureka_items(bigint, date) is
    'Items of a Heureka offer feed in SHOPITEM order, texts cut at Heureka''s limits, prices with two decimals, '
    'DELIVERY_DATE in days; excluded (rules, heureka.feedExcluded) and problems (invalid: left out) per item';
