/*
 * ops.table_sizes: every table and partition of the database outside the system schemas, with
 * its size (bytes: total = table + indexes + TOAST), estimated rows, live and dead tuples from
 * the statistics, and the last (auto)vacuum and analyze. partition_of names the parent of a
 * partition; a partitioned parent's own size is 0 and total_bytes of the whole tree is the sum
 * of its partitions. estimated_rows is the planner's estimate (pg_class.reltuples, from the last
 * ANALYZE or VACUUM); of a partitioned table the sum of its partitions' estimates (its own
 * reltuples is only set by an ANALYZE of the parent, which autovacuum never runs); estimate_from
 * says which: 'statistics', 'sum of partitions' or 'not analyzed' (0 then means unknown, not
 * empty: ingest.analyze_written analyzes what imports and syncs write). Many dead tuples and an old last_autovacuum: vacuum cannot keep up or is
 * held back (ops.db_health.oldest_transaction).
 */
create or replace view ops.table_sizes as
select n.nspname as schema_name, c.relname as table_name,
       parent.oid::regclass::text as partition_of,
       c.relkind = 'p' as partitioned,
       case when c.relkind = 'p'
            then (select coalesce(sum(pg_total_relation_size(t.relid)), 0) from pg_partition_tree(c.oid) t)
            else pg_total_relation_size(c.oid) end as total_bytes,
       pg_relation_size(c.oid) as table_bytes,
       pg_indexes_size(c.oid) as index_bytes,
       case when c.relkind = 'p' then coalesce(leaves.estimated, 0) else greatest(c.reltuples, 0)::bigint end
           as estimated_rows,
       s.n_live_tup as live_tuples,
       s.n_dead_tup as dead_tuples,
       greatest(s.last_vacuum, s.last_autovacuum) as last_vacuum,
       greatest(s.last_analyze, s.last_autoanalyze) as last_analyze,
       case when c.relkind = 'p' then case when leaves.analyzed then 'sum of partitions' else 'not analyzed' end
            when c.reltuples >= 0 then 'statistics'
            else 'not analyzed' end as estimate_from
from pg_class c
left join lateral (
    select sum(greatest(l.reltuples, 0))::bigint as estimated, bool_or(l.reltuples >= 0) as analyzed
    from pg_partition_tree(c.oid) t
    join pg_class l on l.oid = t.relid
    where t.isleaf and c.relkind = 'p'
) leaves on true
join pg_namespace n on n.oid = c.relnamespace
left join pg_inherits i on i.inhrelid = c.oid
left join pg_class parent on parent.oid = i.inhparent and c.relispartition
left join pg_stat_user_tables s on s.relid = c.oid
where c.relkind in ('r', 'p')
  and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%';

comment on view ops.table_sizes is
    'Tables and partitions with sizes (bytes), estimated rows, live and dead tuples, last vacuum and analyze';
comment on column ops.table_sizes.estimated_rows is
    'The planner''s row estimate (pg_class.reltuples, 0 when never analyzed); of a partitioned table the sum of its partitions'' estimates';
comment on column ops.table_sizes.estimate_from is
    'Where estimated_rows comes from: statistics (the table''s own), sum of partitions (a partitioned table), not analyzed (unknown)';
comment on column ops.table_sizes.total_bytes is 'Table + indexes + TOAST, bytes; for a partitioned parent the sum over its tree';
