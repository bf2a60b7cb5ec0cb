/*
 * core.shop_time_bound(p_shop_id, p_bound): a range bound written as text, as psql users type
 * it. A date alone ('2026-04-01') is the start of that day in the shop's time zone
 * (core.shop_day_start); anything else is read as a timestamptz ('2026-04-01 10:00+02', 'now',
 * 'infinity'; without an offset in the session's time zone). Null for null; raises
 * invalid_datetime_format (22007) for text that is neither.
 */
create or replace function core.shop_time_bound(p_shop_id bigint, p_bound text)
returns timestamptz
language sql
stable
set search_path = pg_catalog
as $$
    select case when p_bound ~ '^\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\s*$'
                then core.shop_day_start(p_shop_id, p_bound::date)
                else p_bound::timestamptz end
$$;

comment on function core.shop_time_bound(bigint, text) is
    'A bound typed as text: a date alone starts at local midnight of the shop, anything else is a timestamptz';
