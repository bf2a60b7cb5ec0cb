/*
 * ops.check_btree_index(p_index, p_heapallindexed): amcheck's bt_index_check over one B-tree
 * index -- the invariants of every page (keys in order, sibling and high keys consistent), read
 * under the same lock a SELECT takes, so writers are never blocked. With p_heapallindexed (costly:
 * reads the whole table too and fingerprints every row) it also checks that every row of the
 * table has its index entry.
 * Returns one row (check_name 'btree_index', severity, object = the index, detail, remedy) per
 * problem, none when the index is sound:
 *   critical  bt_index_check raised: the error (SQLSTATE XX002 index corrupted, XX001 data
 *             corrupted, or an I/O error) with its detail;
 *   warning   the index is invalid (a failed or running CREATE/REINDEX CONCURRENTLY), or it could
 *             not be checked: its table was locked for DDL beyond lock_timeout (10 s).
 * An index that no longer exists (dropped since it was listed) returns nothing.
 * Security definer (hub_owner, granted bt_index_check by migration 0120), so hub_app may run it.
 * Source: PostgreSQL 15 documentation, F.2 amcheck.
 */
create or replace function ops.check_btree_index(p_index oid, p_heapallindexed boolean default false)
returns table (check_name text, severity text, object text, detail text, remedy text)
language plpgsql
security definer
set search_path = pg_catalog
set lock_timeout = '10s'
as $$
declare
    v_name text;
    v_valid boolean;
    v_state text;
    v_message text;
    v_detail text;
begin
    select b.index_name, b.valid into v_name, v_valid
    from ops.btree_indexes b
    where b.index_oid = p_index;
    if not found then
        return;
    end if;
    if not v_valid then
        return query select 'btree_index', 'warning', v_name,
            'the index is invalid (a CREATE INDEX or REINDEX CONCURRENTLY failed or is under way): queries do not use it',
            format('when no such command runs: reindex index concurrently %s; (a leftover named *_ccnew: drop index concurrently %s;)',
                   v_name, v_name);
        return;
    end if;
    perform public.bt_index_check(p_index::regclass, p_heapallindexed);
exception
    when lock_not_available then
        return query select 'btree_index', 'warning', v_name,
            'not checked: its table was locked (DDL such as partition maintenance) for more than 10 s',
            format('hub db check --only btree_index again later (or: select * from ops.check_btree_index(%L::regclass))', v_name);
    when others then
        get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
        return query select 'btree_index', 'critical', v_name,
            format('bt_index_check%s: %s (SQLSTATE %s)%s', case when p_heapallindexed then ' (heapallindexed)' else '' end,
                   v_message, v_state, coalesce(': ' || nullif(v_detail, ''), '')),
            format('reindex index concurrently %s; then hub db check --only btree_index. If it comes back, or other '
                   'indexes fail too: docs/operations.md#integrity-checks (storage, a changed collation, restore)', v_name);
end
$$;

revoke execute on function ops.check_btree_index(oid, boolean) from public;
grant execute on function ops.check_btree_index(oid, boolean) to hub_app;

comment on function ops.check_btree_index(oid, boolean) is
    'amcheck bt_index_check of one B-tree index (p_heapallindexed: also every table row has its entry; reads the table): '
    'rows (check_name, severity, object, detail, remedy), none when sound; critical on corruption, warning when invalid or locked';
