/*
 * ops.db_health: one row about the hub's database: its size, sessions against max_connections,
 * the buffer cache hit ratio since the statistics were reset (below ~0.99 on a warm OLTP
 * database: shared_buffers too small for the working set), commits and rollbacks, deadlocks,
 * temporary bytes (sorts and hashes spilling to disk: work_mem), dead tuples waiting for
 * vacuum, and the oldest open transaction (holds back vacuum everywhere). Session details of
 * other roles are visible to hub_readonly (pg_read_all_stats), not to hub_app.
 */
create or replace view ops.db_health as
select d.datname as database,
       pg_database_size(d.datid) as database_bytes,
       (select count(*) from pg_stat_activity a where a.datid = d.datid) as connections,
       current_setting('max_connections')::integer as max_connections,
       round(d.blks_hit::numeric / nullif(d.blks_hit + d.blks_read, 0), 4) as cache_hit_ratio,
       d.xact_commit, d.xact_rollback, d.deadlocks, d.temp_files, d.temp_bytes,
       (select coalesce(sum(t.n_dead_tup), 0) from pg_stat_user_tables t)::bigint as dead_tuples,
       (select max(now() - a.xact_start) from pg_stat_activity a
        where a.datid = d.datid and a.xact_start is not null) as oldest_transaction,
       d.stats_reset
from pg_stat_database d
where d.datname = current_database();

comment on view ops.db_health is
    'The hub database in one row: size (bytes), sessions vs max_connections, cache hit ratio, commits, rollbacks, '
    'deadlocks, temp bytes, dead tuples, oldest open transaction';
comment on column ops.db_health.cache_hit_ratio is 'blks_hit / (blks_hit + blks_read) since stats_reset, 0..1';
