/*
 * ops.check_btree_indexes(p_heapallindexed): ops.check_btree_index over every index of
 * ops.btree_indexes, smallest first; one row per problem (check_name 'btree_index'), none when
 * all are sound. For SQL and scheduled use; `hub db check` calls ops.check_btree_index per index
 * itself to show progress. Cost: reads every index once (the database's index size, see
 * ops.table_sizes), and with p_heapallindexed every table too.
 */
create or replace function ops.check_btree_indexes(p_heapallindexed boolean default false)
returns table (check_name text, severity text, object text, detail text, remedy text)
language sql
volatile
set search_path = pg_catalog
as $$
    select c.*
    from ops.btree_indexes b
    cross join lateral ops.check_btree_index(b.index_oid, p_heapallindexed) c
    order by b.bytes, b.index_name
$$;

revoke execute on function ops.check_btree_indexes(boolean) from public;
grant execute on function ops.check_btree_indexes(boolean) to hub_app;

comment on function ops.check_btree_indexes(boolean) is
    'amcheck over every B-tree index (ops.check_btree_index per index of ops.btree_indexes); one row per problem';
