/*
 * ops.integrity_checks(p_amcheck, p_heapallindexed): every local check of `hub db check` in one
 * call, for psql and schedulers -- amcheck over every B-tree index (ops.check_btree_indexes,
 * unless p_amcheck is false), order lines without their order, rows in default partitions,
 * orders whose lines do not add up to their total, partitions missing in the premake window.
 * One row per problem (check_name, severity warning|critical, object, detail, remedy); none when
 * all is well. The comparison with Shoptet's counts needs the API: `hub db check --remote`.
 */
create or replace function ops.integrity_checks(p_amcheck boolean default true, p_heapallindexed boolean default false)
returns table (check_name text, severity text, object text, detail text, remedy text)
language sql
volatile
set search_path = pg_catalog
as $$
    select * from ops.check_btree_indexes(p_heapallindexed) where p_amcheck
    union all
    select * from ops.check_orphan_order_lines()
    union all
    select * from ops.check_default_partitions()
    union all
    select * from ops.check_order_totals()
    union all
    select * from ops.check_premake_partitions()
$$;

revoke execute on function ops.integrity_checks(boolean, boolean) from public;
grant execute on function ops.integrity_checks(boolean, boolean) to hub_app;

comment on function ops.integrity_checks(boolean, boolean) is
    'Every local integrity check of `hub db check` (amcheck unless p_amcheck is false, orphan lines, default partitions, '
    'order totals, premake partitions): one row per problem (check_name, severity, object, detail, remedy)';
