/*
 * ops.check_premake_partitions(): quarters of the premake window without a partition of
 * sales.order_items. Partition maintenance (ops.run_maintenance, hourly) keeps the current UTC
 * quarter and the next pg_partman premake quarters (partman.part_config.premake, 4) made ahead;
 * lines of a quarter without its partition land in the default partition, which then blocks
 * pg_partman. One row per missing quarter (check_name 'premake_partitions', severity warning;
 * critical for the current quarter: today's orders have nowhere to go but the default).
 * Quarters are UTC quarters, as the partitions are.
 */
create or replace function ops.check_premake_partitions()
returns table (check_name text, severity text, object text, detail text, remedy text)
language sql
stable
set search_path = pg_catalog
set timezone = 'UTC'
as $$
    with config as (
        select c.parent_table, coalesce(c.premake, 4) as premake
        from partman.part_config c
        where c.parent_table = 'sales.order_items'
    ),
    window_quarters as (
        select c.parent_table, q.quarter, q.quarter = date_trunc('quarter', now()) as current_quarter
        from config c
        cross join lateral generate_series(date_trunc('quarter', now()),
                                           date_trunc('quarter', now()) + make_interval(months => 3 * c.premake),
                                           interval '3 months') as q(quarter)
    ),
    made as (
        select b.child_start_time, b.child_end_time
        from partman.show_partitions('sales.order_items') p
        cross join lateral partman.show_partition_info(format('%I.%I', p.partition_schemaname, p.partition_tablename),
                                                       null, 'sales.order_items') b
    )
    select 'premake_partitions', case when w.current_quarter then 'critical' else 'warning' end,
           format('%s, %s', w.parent_table, to_char(w.quarter, 'YYYY"q"Q')),
           format('no partition for the quarter from %s (premake window: this quarter and the next %s)',
                  to_char(w.quarter, 'YYYY-MM-DD'), (select premake from config)),
           'hub db maintain (makes the premake window); if it fails, its error and the worker''s log of run_maintenance say why'
    from window_quarters w
    where not exists (select from made m where m.child_start_time <= w.quarter and w.quarter < m.child_end_time)
    order by w.quarter
$$;

revoke execute on function ops.check_premake_partitions() from public;
grant execute on function ops.check_premake_partitions() to hub_app, hub_readonly;

comment on function ops.check_premake_partitions() is
    'Quarters (UTC) of the premake window (this one and the next partman premake) without a partition of sales.order_items: one row each (critical for the current quarter)';
