/*
 * ops.btree_indexes: every B-tree index with storage in the database -- the hub's, pg_partman's,
 * procrastinate's, the system catalogs' and TOAST indexes; not the parents of partitioned indexes
 * (they have no storage: their partitions' indexes are listed), not other sessions' temporary
 * ones. What `hub db check` runs amcheck over (ops.check_btree_index), largest last so progress
 * moves evenly; bytes is the index's size on disk (bt_index_check reads every page of it once;
 * with heapallindexed also every page of its table).
 */
create or replace view ops.btree_indexes as
select c.oid as index_oid,
       format('%I.%I', n.nspname, c.relname) as index_name,
       format('%I.%I', tn.nspname, t.relname) as table_name,
       n.nspname as schema_name,
       i.indisvalid and i.indisready and i.indislive as valid,
       i.indisunique as is_unique,
       pg_relation_size(c.oid) as bytes,
       pg_relation_size(t.oid) as table_bytes
from pg_index i
join pg_class c on c.oid = i.indexrelid
join pg_am am on am.oid = c.relam
join pg_namespace n on n.oid = c.relnamespace
join pg_class t on t.oid = i.indrelid
join pg_namespace tn on tn.oid = t.relnamespace
where am.amname = 'btree'
  and c.relkind = 'i'
  and c.relpersistence <> 't';

comment on view ops.btree_indexes is
    'Every B-tree index with storage (hub, extensions, catalogs, TOAST), with validity and size in bytes: what `hub db check` verifies with amcheck';
comment on column ops.btree_indexes.valid is
    'false: left by a CREATE INDEX / REINDEX CONCURRENTLY that failed or is under way; not used by queries, not checked';
