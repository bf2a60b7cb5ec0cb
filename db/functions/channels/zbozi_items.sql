/*
 * channels.zbozi_items(p_feed_id, p_day): the items of a Zbozi.cz feed (shared/docs/feeds.md
 * "Zbozi.cz"), one per live variant, shaped by channels.offer_items: PRODUCTNAME cut at 255 at a
 * word boundary, DESCRIPTION plain text cut at 5000, prices as money_text, MAX_CPC /
 * MAX_CPC_SEARCH from zboziCZ (else the feed's default_cpc / default_search_cpc) when at least
 * 0.01, PARAM with UNIT null (Shoptet keeps no unit apart), EXTRA_MESSAGE from
 * settings.extra_message. `excluded`: the rules or zboziCZ.hidden; `problems` as in
 * channels.offer_items (no name, URL, image, price, category).
 *
 * A SQL-standard body without SET: inlined into the runner's query, so rows stream.
 */
create or replace function channels.zbozi_items(p_feed_id bigint, p_day date default current_date)
returns table (
    item_id text, productname text, description text, url text, imgurl text, imgurl_alternative text[],
    price_vat text, max_cpc text, max_cpc_search text, manufacturer text, categorytext text, ean text,
    productno text, params jsonb, delivery_date text, delivery jsonb, extra_message text[], itemgroup_id text,
    excluded text, problems text[])
language sql
stable
begin atomic
    select o.item_id, o.productname, o.description, o.url, o.imgurl, o.imgurl_alternative, o.price_vat,
           channels.money_text(case when o.zbozi_cpc >= 0.01 then o.zbozi_cpc end),
           channels.money_text(case when o.zbozi_search_cpc >= 0.01 then o.zbozi_search_cpc end),
           o.manufacturer, o.categorytext, o.ean, o.productno, o.params, o.delivery_date, o.delivery,
           (select array_agg(e order by n)
            from channels.feeds fe,
                 jsonb_array_elements_text(case when jsonb_typeof(fe.settings -> 'extra_message') = 'array'
                                                then fe.settings -> 'extra_message' else '[]' end) with ordinality as x (e, n)
            where fe.feed_id = p_feed_id),
           o.itemgroup_id, o.excluded, o.problems
    from channels.offer_items(p_feed_id, p_day, 255) o
    order by o.product_guid, o.variant_code;
end;

comment on function channels.zbozi_items(bigint, date) is
    'Items of a Zbozi.cz feed: PRODUCTNAME <= 255 at a word boundary, plain-text DESCRIPTION, MAX_CPC / MAX_CPC_SEARCH, '
    'PARAM, EXTRA_MESSAGE; excluded (rules, zboziCZ.hidden) and problems (invalid: left out) per item';
