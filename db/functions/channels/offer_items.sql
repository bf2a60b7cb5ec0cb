/*
 * channels.offer_items(p_feed_id, p_day, p_name_max, p_url_max, p_image_max): what the Heureka
 * and Zbozi.cz offer feeds share (their SHOPITEM elements have the same names and rules), one row
 * per live variant of channels.feed_items in its order: PRODUCTNAME cut at p_name_max characters
 * and DESCRIPTION at 5000 at a word boundary (channels.cut_text), CATEGORYTEXT at 255,
 * PRICE_VAT as money_text in the feed's currency, DELIVERY_DATE in days, the DELIVERY blocks of
 * settings.delivery ([{id, price, price_cod}] with prices as money_text; the same for every item,
 * computed once), ITEMGROUP_ID, the CPCs as numbers (each channel formats its own), `excluded`
 * (channels.feed_items: the rules, then the channel's marketplace flag) and `problems`: what makes
 * an included item invalid (it is left out and counted): no name, no URL or URL longer than
 * p_url_max, no image or IMGURL longer than p_image_max (null: no limit), no price (no exchange
 * rate) or not positive, no category (null: none).
 *
 * A SQL-standard body without SET: inlined into the channel function's query (streams).
 */
create or replace function channels.offer_items(
    p_feed_id bigint, p_day date, p_name_max integer, p_url_max integer default null, p_image_max integer default null)
returns table (
    item_id text, productname text, description text, url text, imgurl text, imgurl_alternative text[],
    price_vat text, manufacturer text, categorytext text, ean text, productno text, params jsonb,
    delivery_date text, delivery jsonb, itemgroup_id text, stock numeric, delivery_days integer,
    heureka_cpc numeric, zbozi_cpc numeric, zbozi_search_cpc numeric, excluded text, problems text[],
    product_guid uuid, variant_code text)
language sql
stable
begin atomic
    select i.item_id,
           channels.cut_text(i.name, p_name_max),
           channels.cut_text(i.description, 5000),
           i.url,
           i.image_url,
           i.extra_images,
           i.price_text,
           i.manufacturer,
           channels.cut_text(i.category_text, 255),
           i.ean,
           i.product_no,
           i.params,
           i.delivery_days::text,
           (select jsonb_agg(jsonb_build_object('id', d ->> 'id', 'price', channels.money_text((d ->> 'price')::numeric),
                                                'price_cod', channels.money_text((d ->> 'price_cod')::numeric)) order by n)
            from channels.feeds fe,
                 jsonb_array_elements(case when jsonb_typeof(fe.settings -> 'delivery') = 'array'
                                           then fe.settings -> 'delivery' else '[]' end) with ordinality as x (d, n)
            where fe.feed_id = p_feed_id),
           i.group_id,
           i.stock,
           i.delivery_days,
           i.heureka_cpc,
           i.zbozi_cpc,
           i.zbozi_search_cpc,
           i.excluded,
           nullif(array_remove(array[
               case when i.name is null then 'PRODUCTNAME: the product has no name' end,
               case when i.url is null then 'URL: the product has no URL'
                    when char_length(i.url) > p_url_max then format('URL: longer than %s characters', p_url_max) end,
               case when i.image_url is null then 'IMGURL: the product has no image'
                    when char_length(i.image_url) > p_image_max
                        then format('IMGURL: longer than %s characters', p_image_max) end,
               case when i.price is null then format('PRICE_VAT: no price in %s (no exchange rate)', i.currency)
                    when i.price <= 0 then format('PRICE_VAT: %s is not a positive price', i.price) end,
               case when i.category_text is null then 'CATEGORYTEXT: the product has no category' end
           ], null), '{}'),
           i.product_guid,
           i.variant_code
    from channels.feed_items(p_feed_id, p_day) i
    order by i.product_guid, i.variant_code;
end;

comment on function channels.offer_items(bigint, date, integer, integer, integer) is
    'What the Heureka and Zbozi.cz offer feeds share, per live variant: texts cut (PRODUCTNAME at p_name_max), '
    'PRICE_VAT, DELIVERY_DATE, DELIVERY blocks, CPCs as numbers, excluded, and problems (no name, URL, image, price, '
    'category; URL / IMGURL over p_url_max / p_image_max) that leave an item out as invalid';
