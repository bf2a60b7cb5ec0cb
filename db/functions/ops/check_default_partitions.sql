/*
 * ops.check_default_partitions(): rows in a default partition of a pg_partman table (from
 * ops.default_partition_rows, as `hub status` reports them), one row per table (check_name
 * 'default_partition', severity warning). A row there is out of every quarter's range: partition
 * maintenance moves it, and while it stays pg_partman cannot make the partition of its quarter.
 */
create or replace function ops.check_default_partitions()
returns table (check_name text, severity text, object text, detail text, remedy text)
language sql
stable
set search_path = pg_catalog
as $$
    select 'default_partition', 'warning', d.default_table,
           format('%s row(s) in the default partition', d.row_count),
           'hub db maintain (moves them into their quarter''s partition); if they stay, the maintenance''s error says why'
    from ops.default_partition_rows d
    where d.row_count > 0
    order by d.default_table
$$;

revoke execute on function ops.check_default_partitions() from public;
grant execute on function ops.check_default_partitions() to hub_app, hub_readonly;

comment on function ops.check_default_partitions() is
    'Rows in default partitions (ops.default_partition_rows), one row per table (warning): what to run, hub db maintain';
