/*
 * channels.heureka_availability_items(p_feed_id, p_now): the items of a Heureka availability
 * feed (shared/docs/feeds.md "Heureka - availability feed"): the offers channels.heureka_items
 * publishes for the same rules (not excluded, no problems) that are in stock (stock > 0; a
 * variant whose stock is not tracked promises nothing and is left out, excluded says so).
 * stock_quantity: whole units (floor). order_deadline: the next settings.order_deadline
 * (default 12:00) in the shop's time zone after p_now; delivery_time: that day +
 * settings.shipping_days (default 1) + the item's delivery days, at the same time of day.
 * Both 'YYYY-MM-DD HH:MM'.
 */
create or replace function channels.heureka_availability_items(p_feed_id bigint, p_now timestamptz default now())
returns table (item_id text, stock_quantity integer, order_deadline text, delivery_time text, excluded text, problems text[])
language sql
stable
set search_path = pg_catalog
set jit = off  -- JIT compiling these wide expressions costs far more than it saves (13 k items: 8 s -> 45 s)
as $$
    with f as (
        select fe.feed_id, fe.shop_id, core.shop_timezone(fe.shop_id) as tz,
               coalesce(fe.settings ->> 'order_deadline', '12:00')::time as cutoff,
               coalesce((fe.settings ->> 'shipping_days')::numeric::integer, 1) as shipping_days
        from channels.feeds fe where fe.feed_id = p_feed_id
    ),
    d as (
        select f.*, (p_now at time zone f.tz)::date
                    + case when (p_now at time zone f.tz)::time < f.cutoff then 0 else 1 end as deadline_day
        from f
    )
    select h.item_id,
           floor(h.stock)::integer,
           to_char(d.deadline_day + d.cutoff, 'YYYY-MM-DD HH24:MI'),
           to_char(d.deadline_day + d.shipping_days + h.delivery_days + d.cutoff, 'YYYY-MM-DD HH24:MI'),
           coalesce(h.excluded,
                    case when cardinality(h.problems) > 0 then 'not in the offer feed: ' || array_to_string(h.problems, '; ')
                         when h.stock is null then 'stock not tracked'
                         when h.stock < 1 then 'not in stock' end),
           '{}'::text[]
    from channels.heureka_items(p_feed_id, (select (p_now at time zone f.tz)::date from f)) h
    cross join d;
$$;

comment on function channels.heureka_availability_items(bigint, timestamptz) is
    'Items of a Heureka availability feed: published offers in stock with whole stock_quantity, the next order deadline '
    '(settings.order_deadline, shop time zone) and delivery time (+ shipping_days + delivery days), YYYY-MM-DD HH:MM';
