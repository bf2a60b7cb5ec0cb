/*
 * channels.heureka_availability_items(p_feed_id, p_now): the items of a Heureka availability
 * feed (shared/docs/feeds.md "Heureka - availability feed"): the offers channels.heureka_items
 * publishes for the same rules (not excluded, no problems) that are in stock (stock > 0; a
 * variant whose stock is not tracked promises nothing and is left out, excluded says so).
 * stock_quantity: whole units (floor). order_deadline: the next settings.order_deadline
 * (default 12:00) in the shop's time zone after p_now; delivery_time: that day +
 * settings.shipping_days (default 1) + the item's delivery days, at the same time of day.
 * Both 'YYYY-MM-DD HH:MM'. `problems` is always null (the offer's problems leave it out as excluded).
 *
 * A SQL-standard body without SET: inlined into the runner's query, so rows stream.
 */
create or replace function channels.heureka_availability_items(p_feed_id bigint, p_now timestamptz default now())
returns table (item_id text, stock_quantity integer, order_deadline text, delivery_time text, excluded text, problems text[])
language sql
stable
begin atomic
    select h.item_id,
           floor(h.stock)::integer,
           d.order_deadline,
           to_char(d.deadline_day + d.shipping_days + h.delivery_days + d.cutoff, 'YYYY-MM-DD HH24:MI'),
           coalesce(h.excluded,
                    case when cardinality(h.problems) > 0 then 'not in the offer feed: ' || array_to_string(h.problems, '; ')
                         when h.stock is null then 'stock not tracked'
                         when h.stock < 1 then 'not in stock' end),
           null::text[]
    from channels.feeds fe
    cross join lateral (
        select (p_now at time zone core.shop_timezone(fe.shop_id)) as local_now,
               coalesce(fe.settings ->> 'order_deadline', '12:00')::time as cutoff,
               coalesce((fe.settings ->> 'shipping_days')::numeric::integer, 1) as shipping_days
    ) f
    cross join lateral (
        select dd.deadline_day, f.cutoff, f.shipping_days, to_char(dd.deadline_day + f.cutoff, 'YYYY-MM-DD HH24:MI') as order_deadline
        from (select f.local_now::date + case when f.local_now::time < f.cutoff then 0 else 1 end as deadline_day) dd
    ) d
    cross join lateral channels.heureka_items(p_feed_id, f.local_now::date) h
    where fe.feed_id = p_feed_id;
end;

comment on function channels.heureka_availability_items(bigint, timestamptz) is
    'Items of a Heureka availability feed: published offers in stock with whole stock_quantity, the next order deadline '
    '(settings.order_deadline, shop time zone) and delivery time (+ shipping_days + delivery days), YYYY-MM-DD HH:MM';
