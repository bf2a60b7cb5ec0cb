/*
 * ops.drop_empty_future_partitions(p_limit): drop partitions of sales.order_items for quarters
 * after the premake window (today's quarter plus pg_partman's premake) that hold no row, at most
 * p_limit per call. Such partitions serve nothing (ops.ensure_partitions_for makes a quarter
 * again when a row needs it), but each one costs every statement on sales.order_items that
 * cannot prune at plan time: the 713 quarters an outlier year 2206 used to make (before
 * ensure_partitions_for) made an update chunk of 2000 orders take 2.1x as long.
 * Called by ops.run_maintenance under its locks; returns the number dropped.
 */
create or replace function ops.drop_empty_future_partitions(p_limit integer default 200)
returns integer
language plpgsql
security definer
set search_path = pg_catalog
set timezone = 'UTC'  -- quarters are UTC quarters whatever the session's time zone
as $$
declare
    v_window_end timestamptz;
    v_partition record;
    v_empty boolean;
    v_dropped integer := 0;
begin
    select date_trunc('quarter', now()) + make_interval(months => 3 * (coalesce(c.premake, 4) + 1))
    into v_window_end
    from partman.part_config c where c.parent_table = 'sales.order_items';
    v_window_end := coalesce(v_window_end, date_trunc('quarter', now()) + interval '15 months');
    for v_partition in
        select c.relname
        from pg_inherits i
        join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'sales.order_items'::regclass
          and c.relname ~ '^order_items_p[0-9]{4}q[1-4]$'
          and make_timestamptz(substr(c.relname, 14, 4)::int, (substr(c.relname, 19, 1)::int - 1) * 3 + 1, 1, 0, 0, 0,
                               'UTC') >= v_window_end
        order by c.relname desc
    loop
        execute format('select not exists (select from sales.%I)', v_partition.relname) into v_empty;
        continue when not v_empty;
        execute format('drop table sales.%I', v_partition.relname);
        v_dropped := v_dropped + 1;
        exit when v_dropped >= p_limit;
    end loop;
    return v_dropped;
end
$$;

revoke execute on function ops.drop_empty_future_partitions(integer) from public, hub_app, hub_readonly;

comment on function ops.drop_empty_future_partitions(integer) is
    'Drop empty partitions of sales.order_items beyond the premake window (at most p_limit); returns how many (ops.run_maintenance)';
