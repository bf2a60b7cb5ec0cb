/*
 * channels.google_items(p_feed_id, p_day): the items of a Google Merchant Center RSS feed
 * (shared/docs/feeds.md "Google Merchant Center"): g:id (the item id, <= 36), title cut at 150
 * and description at 5000 at a word boundary (description falls back to the title), g:price
 * '123.45 CZK', g:availability in_stock (stock > 0 or not tracked) or out_of_stock,
 * g:condition new (used for bazar products), g:brand, g:gtin, g:mpn, g:identifier_exists 'no'
 * when the item has neither GTIN nor MPN, g:item_group_id, g:product_type (the shop's category
 * path), g:google_product_category (only when settings.category_map maps the category),
 * g:color / g:size from a variant parameter named Barva/Color / Velikost/Size. `problems`: no
 * title, link, image or price (null: none).
 *
 * A SQL-standard body without SET: inlined into the runner's query, so rows stream.
 */
create or replace function channels.google_items(p_feed_id bigint, p_day date default current_date)
returns table (
    id text, title text, description text, link text, image_link text, additional_image_link text[],
    availability text, price text, condition text, brand text, gtin text, mpn text, identifier_exists text,
    item_group_id text, product_type text, google_product_category text, color text, size text,
    excluded text, problems text[])
language sql
stable
begin atomic
    select i.item_id,
           channels.cut_text(i.name, 150),
           channels.cut_text(coalesce(i.description, i.name), 5000),
           i.url,
           i.image_url,
           i.extra_images,
           case when i.stock is null or i.stock > 0 then 'in_stock' else 'out_of_stock' end,
           i.price_text || ' ' || i.currency,
           case when i.product_type = 'bazar' then 'used' else 'new' end,
           i.manufacturer,
           i.ean,
           i.mpn,
           case when i.ean is null and i.mpn is null then 'no' end,
           i.group_id,
           channels.cut_text(replace(i.category_path, ' | ', ' > '), 750),
           case when i.category_mapped then i.category_text end,
           (select e ->> 'value' from jsonb_array_elements(i.params) e
            where lower(e ->> 'name') in ('barva', 'color', 'colour', 'farba') limit 1),
           (select e ->> 'value' from jsonb_array_elements(i.params) e
            where lower(e ->> 'name') in ('velikost', 'size', 'veľkosť') limit 1),
           i.excluded,
           nullif(array_remove(array[
               case when i.name is null then 'title: the product has no name' end,
               case when i.url is null then 'link: the product has no URL' end,
               case when i.image_url is null then 'image_link: the product has no image' end,
               case when i.price is null then format('price: no price in %s (no exchange rate)', i.currency)
                    when i.price <= 0 then format('price: %s is not a positive price', i.price) end
           ], null), '{}')
    from channels.feed_items(p_feed_id, p_day) i
    order by i.product_guid, i.variant_code;
end;

comment on function channels.google_items(bigint, date) is
    'Items of a Google Merchant RSS feed: g:id, title <= 150, description <= 5000, g:price "123.45 CZK", availability, '
    'condition, brand/gtin/mpn/identifier_exists, item_group_id, product_type, mapped google_product_category, color/size';
