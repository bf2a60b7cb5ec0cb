/*
 * ops.ensure_partitions(p_from, p_to): make sure every quarter from p_from to p_to (default:
 * p_from) has a partition: quarters before ops.order_items_hot_from() in archive.order_items,
 * later ones in sales.order_items (pg_partman). For a span the caller really wants whole (the
 * data generator's three years); code that writes rows calls ops.ensure_partitions_for(times),
 * which makes only the quarters the rows fall in — an outlier date (a year 2206 typed for 2026)
 * must not make every quarter in between.
 * Raises (22023) when the span holds more than 400 quarters (100 years): such a call is a
 * mistake that would lock the table for minutes. Returns the number of partitions created.
 */
create or replace function ops.ensure_partitions(p_from timestamptz, p_to timestamptz default null)
returns integer
language plpgsql
security definer
set search_path = pg_catalog
set timezone = 'UTC'  -- quarters are UTC quarters whatever the session's time zone
as $$
declare
    v_first timestamptz := date_trunc('quarter', p_from at time zone 'UTC') at time zone 'UTC';
    v_last timestamptz := date_trunc('quarter', coalesce(p_to, p_from) at time zone 'UTC') at time zone 'UTC';
    v_quarters integer;
begin
    if p_from is null then
        return 0;
    end if;
    v_quarters := (extract(year from v_last at time zone 'UTC') - extract(year from v_first at time zone 'UTC')) * 4
                  + (extract(quarter from v_last at time zone 'UTC') - extract(quarter from v_first at time zone 'UTC')) + 1;
    if v_quarters > 400 then
        raise exception 'ops.ensure_partitions(%, %): % quarters asked for, at most 400', p_from, p_to, v_quarters
            using errcode = '22023',
                  hint = 'to make the partitions some rows need, call ops.ensure_partitions_for(array of their times)';
    end if;
    return ops.ensure_partitions_for(array(select generate_series(v_first, v_last, interval '3 months')));
end
$$;

revoke execute on function ops.ensure_partitions(timestamptz, timestamptz) from public, hub_readonly;
grant execute on function ops.ensure_partitions(timestamptz, timestamptz) to hub_app;

comment on function ops.ensure_partitions(timestamptz, timestamptz) is
    'Create the quarterly partitions (hot in sales, old in archive) of every quarter from p_from to p_to (at most 400); writers use ops.ensure_partitions_for; returns partitions created';
