-- Queries of `hub status` (runner/status.py): one per section, read from the ops monitoring
-- views (db/functions/ops/); durations in seconds, sizes in bytes.

-- name: attention
select check_name, severity, subject, detail, action from ops.attention();

-- name: queues
select d.queue_name as queue,
       sum(d.jobs) filter (where d.status = 'todo')::bigint as todo,
       sum(d.jobs) filter (where d.status = 'doing')::bigint as doing,
       sum(d.jobs) filter (where d.status = 'failed')::bigint as failed,
       (select count(*) from ops.stuck_jobs s where s.queue_name = d.queue_name) as stuck,
       extract(epoch from o.waiting_for)::double precision as oldest_wait_seconds,
       o.task_name as oldest_task
from ops.queue_depth d
left join ops.oldest_waiting_jobs o on o.queue_name = d.queue_name
group by d.queue_name, o.waiting_for, o.task_name
order by d.queue_name;

-- name: workers
select worker_id, last_heartbeat, extract(epoch from since_heartbeat)::double precision as since_heartbeat_seconds,
       alive, jobs_doing, tasks
from ops.workers
order by worker_id;

-- name: failed_jobs
select job_id, queue_name as queue, task_name as task, shop_id, failed_at, error
from ops.failed_jobs
limit 10;

-- name: stuck_jobs
select job_id, queue_name as queue, task_name as task, worker_id,
       extract(epoch from running_for)::double precision as running_seconds,
       extract(epoch from stuck_after)::double precision as stuck_after_seconds,
       worker_last_heartbeat
from ops.stuck_jobs
order by running_for desc;

-- name: syncs
-- the lagging first, then the furthest behind; a hub of many shops shows the top 20
-- lag_seconds counts from synced_until (every change listed before it is in); lag_from says what that is
select shop_id, entity, cursor_at, extract(epoch from lag)::double precision as lag_seconds,
       extract(epoch from sync_every)::double precision as interval_seconds, lagging, never_synced, last_error,
       synced_until, lag_from
from ops.sync_lag
order by lagging desc, lag desc, shop_id, entity
limit 20;

-- name: snapshots
select job_id, shop_id, entity, status, active, processed_count, total_count,
       progress_percentage::double precision as progress_percentage,
       rows_per_second::double precision as rows_per_second, expected_finish_at, retry_count, last_error
from ops.snapshot_progress
limit 10;

-- name: api_calls
select shop_id, calls, by_status, rate_limited, server_errors, client_errors,
       p50_seconds, p95_seconds, p99_seconds, max_seconds
from ops.shoptet_api_calls
order by calls desc, shop_id
limit 10;

-- name: database
select h.database, h.database_bytes, h.connections, h.max_connections, h.cache_hit_ratio::double precision as cache_hit_ratio,
       h.deadlocks, h.temp_bytes, h.dead_tuples,
       extract(epoch from h.oldest_transaction)::double precision as oldest_transaction_seconds,
       (select coalesce(sum(d.row_count), 0) from ops.default_partition_rows d)::bigint as default_partition_rows
from ops.db_health h;

-- name: largest_tables
select schema_name || '.' || table_name as table_name, total_bytes, estimated_rows, dead_tuples
from ops.table_sizes
where partition_of is null
order by total_bytes desc
limit 5;

-- name: slow_statements
-- statements of other roles show '<insufficient privilege>' to hub_app: left out here
select available, calls, mean_ms, total_ms,
       left(btrim(regexp_replace(regexp_replace(query, '--[^\n]*', '', 'g'), '\s+', ' ', 'g')), 200) as query, note
from ops.slow_statements
where (ranked_by = 'mean' and query <> '<insufficient privilege>') or not available
order by rank nulls first
limit 5;

-- name: backups
select newest_backup_id, newest_status, newest_verified, newest_finished_at, newest_error,
       last_completed_at, last_verified_at,
       extract(epoch from last_verified_age)::double precision as last_verified_age_seconds, running
from ops.backup_status;

-- name: recent_errors
select at, level, source, shop_id, message
from ops.recent_errors
limit 10;
