/*
 * channels.heureka_items(p_feed_id, p_day): the items of a Heureka offer feed, one per live
 * variant in SHOPITEM element order (shared/docs/feeds.md "Heureka.cz - offer feed"), values
 * shaped for the XML writer by channels.offer_items: PRODUCTNAME cut at 200, CATEGORYTEXT 255,
 * DESCRIPTION 5000 at a word boundary, prices as money_text in the feed's currency, DELIVERY_DATE
 * in days; HEUREKA_CPC from heurekaCPC (else the feed's default_cpc) when at least 0.01.
 * `excluded` says why the rules or heureka.feedExcluded leave the item out; `problems` lists what
 * makes an included item invalid (it is left out and counted): no name, no URL or URL > 300, no
 * image or IMGURL > 255, no price (no exchange rate) or not positive, no category (null: none).
 * Ordered by product, then variant code (variants of a product together).
 *
 * A SQL-standard body without SET: inlined into the runner's query, so rows stream (the runner
 * turns JIT off for it, runner/sql/feeds.sql).
 */
create or replace function channels.heureka_items(p_feed_id bigint, p_day date default current_date)
returns table (
    item_id text, productname text, description text, url text, imgurl text, imgurl_alternative text[],
    price_vat text, heureka_cpc text, manufacturer text, categorytext text, ean text, productno text,
    params jsonb, delivery_date text, delivery jsonb, itemgroup_id text, stock numeric, delivery_days integer,
    excluded text, problems text[])
language sql
stable
begin atomic
    select o.item_id, o.productname, o.description, o.url, o.imgurl, o.imgurl_alternative, o.price_vat,
           channels.money_text(case when o.heureka_cpc >= 0.01 then o.heureka_cpc end),
           o.manufacturer, o.categorytext, o.ean, o.productno, o.params, o.delivery_date, o.delivery,
           o.itemgroup_id, o.stock, o.delivery_days, o.excluded, o.problems
    from channels.offer_items(p_feed_id, p_day, 200, 300, 255) o
    order by o.product_guid, o.variant_code;
end;

comment on function channels.heureka_items(bigint, date) is
    'Items of a Heureka offer feed in SHOPITEM order, texts cut at Heureka''s limits, prices with two decimals, '
    'DELIVERY_DATE in days; excluded (rules, heureka.feedExcluded) and problems (invalid: left out) per item';
