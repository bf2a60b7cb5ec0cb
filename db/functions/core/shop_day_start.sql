/*
 * core.shop_day_start(p_shop_id, p_day): the moment a calendar day starts in the shop's time
 * zone, e.g. (Prague shop, 2026-04-01) -> 2026-03-31 22:00 UTC. A date-only range [from, to) of
 * a shop is [shop_day_start(from), shop_day_start(to)). Null for a null day.
 */
create or replace function core.shop_day_start(p_shop_id bigint, p_day date)
returns timestamptz
language sql
stable
set search_path = pg_catalog
as $$
    select p_day::timestamp at time zone core.shop_timezone(p_shop_id)
$$;

comment on function core.shop_day_start(bigint, date) is
    'Start of a calendar day in the shop''s time zone (local midnight) as a timestamptz';
