-- Queries of the dashboard (runner/dashboard/): login lock-out and the pages Overview, Shops,
-- Snapshots, Queues and Database. They read the ops.* monitoring views and the ingest/core
-- tables; times are timestamptz (shown in the shop's zone), sizes in bytes, money in the
-- order's currency. Lists are keyset pages: %(after_*)s null for the first page, %(limit)s rows.

-- name: login_wait
select core.dashboard_login_wait(%(client)s);

-- name: login_record
select core.dashboard_login_record(%(client)s, %(ok)s);

-- name: display_timezone
-- the zone for times that belong to no shop: the master shop's, else the oldest shop's
select timezone from core.shops order by is_master desc, created_at, shop_id limit 1;

-- name: overview_shops
-- one row per shop: webhooks received since the start of the shop's day, refused today (server
-- date of ingest.webhook_rejections), failed procrastinate jobs with the shop's id
select s.shop_id, s.name, s.status, s.is_master, s.timezone,
       (select count(*) from ingest.webhook_events e
         where e.shop_id = s.shop_id and e.received_at >= core.shop_day_start(s.shop_id, (now() at time zone s.timezone)::date)
       ) as webhooks_today,
       (select coalesce(sum(r.count), 0) from ingest.webhook_rejections r
         where r.shop_id = s.shop_id and r.day = current_date)::bigint as refused_today,
       (select count(*) from ops.failed_jobs f where f.shop_id = s.shop_id) as failed_jobs
from core.shops s
order by s.is_master desc, s.shop_id;

-- name: overview_refused_unknown
-- refused deliveries today that named no known shop (unknown eshopId, malformed)
select coalesce(sum(r.count), 0)::bigint as refused from ingest.webhook_rejections r
where r.shop_id is null and r.day = current_date;

-- name: overview_syncs
-- lag counts from synced_until (every change listed before it is in), lag_from says what that is
select shop_id, entity, cursor_at, last_run_at, last_error, sync_every, lag, never_synced, lagging,
       synced_until, lag_from
from ops.sync_lag
order by shop_id, entity;

-- name: overview_last_snapshots
-- the newest snapshot job of each shop and entity
select distinct on (j.shop_id, j.entity)
       j.id as job_id, j.shop_id, j.entity, j.status, j.processed_count, j.total_count,
       j.progress_percentage, j.requested_at, j.finished_at, j.last_error
from ingest.snapshot_jobs j
order by j.shop_id, j.entity, j.id desc;

-- name: overview_backup
select last_backup_id, last_backup_at, last_backup_verified, last_backup_verify_status, last_backup_verify_error,
       last_verified_backup_at, newest_backup_id, newest_status, newest_finished_at, newest_error,
       pitr_enabled, pitr_last_backup_at, pitr_last_backup_kind, pitr_verify_status, pitr_verified_at, problems, running
from ops.backup_status;

-- name: overview_attention
select check_name, severity, subject, detail, action from ops.attention();

-- name: overview_translation_languages
-- open translations a sync would refuse for want of a language: the warning hub translate draft prints
select master_shop_id, target_shop_id, language, translations, drafts, first_id, last_id, warning
from catalog.translation_language_warnings();

-- name: orders_per_day
-- orders and revenue per calendar day of the shop (its time zone) over the last %(days)s days,
-- every day listed (0 where none); revenue in the shop's default currency
-- (analytics.order_amount), cancelled orders (analytics.cancelled_status_ids) and deleted ones left out
with shop as (
    select s.shop_id, s.timezone, analytics.cancelled_status_ids(s.shop_id) as cancelled,
           (now() at time zone s.timezone)::date as today
    from core.shops s where s.shop_id = %(shop_id)s
), days as (
    select d::date as day
    from shop, generate_series(shop.today - (%(days)s - 1), shop.today, interval '1 day') d
), per_day as (
    select (o.created_at at time zone shop.timezone)::date as day,
           count(*) as orders,
           sum(analytics.order_amount(o.total_with_vat, o.exchange_rate)) as revenue
    from shop
    join sales.orders o on o.shop_id = shop.shop_id
    where o.created_at >= core.shop_day_start(shop.shop_id, shop.today - (%(days)s - 1))
      and o.deleted_at is null
      and o.status_id <> all (shop.cancelled)
    group by 1
)
select days.day, coalesce(per_day.orders, 0) as orders, coalesce(per_day.revenue, 0) as revenue
from days left join per_day using (day)
order by days.day;

-- name: shop_currency
-- the shop's default currency (the unit of its revenue figures, which are converted to it): what
-- GET /api/eshop said (channels.shop_storefronts), else the currency of its newest order in the
-- default currency (exchange rate 1), else of its newest order, else CZK
select coalesce((select f.currency from channels.shop_storefronts f where f.shop_id = %(shop_id)s),
                (select o.currency from sales.orders o
                 where o.shop_id = %(shop_id)s and o.exchange_rate = 1 and o.currency is not null
                 order by o.created_at desc, o.code desc limit 1),
                (select o.currency from sales.orders o
                 where o.shop_id = %(shop_id)s and o.currency is not null
                 order by o.created_at desc, o.code desc limit 1),
                'CZK') as currency;

-- name: shops_page
select s.shop_id, s.name, s.is_master, s.master_shop_id, s.status, s.timezone, s.created_at,
       array(select c.key from core.settings c where c.shop_id = s.shop_id and c.is_secret
             and c.key like 'shoptet.%%' order by c.key) as credentials,
       (select max(j.finished_at) from ingest.snapshot_jobs j where j.shop_id = s.shop_id
          and j.status in ('completed', 'completed_with_errors')) as last_import
from core.shops s
where %(after_shop_id)s::bigint is null or s.shop_id > %(after_shop_id)s::bigint
order by s.shop_id
limit %(limit)s;

-- name: shop_counts
-- a shop's orders, customers and variants (not deleted at the source): whole-shop scans, so the
-- page keeps them a few minutes (runner/dashboard/pages/shops.py)
select (select count(*) from sales.orders o where o.shop_id = %(shop_id)s and o.deleted_at is null) as orders,
       (select count(*) from sales.customers c where c.shop_id = %(shop_id)s and c.deleted_at is null) as customers,
       (select count(*) from catalog.variants v where v.shop_id = %(shop_id)s and v.deleted_at is null) as variants;

-- name: shop_detail
-- a shop and which credentials it has (setting names, never values)
select s.shop_id, s.name, s.is_master, s.master_shop_id, s.status, s.timezone, s.created_at, s.updated_at,
       exists (select from core.settings c where c.shop_id = s.shop_id and c.key = 'shoptet.private_token' and c.is_secret)
           as has_private_token,
       exists (select from core.settings c where c.shop_id = s.shop_id and c.key = 'shoptet.oauth_token' and c.is_secret)
           as has_oauth_token,
       exists (select from core.settings c where c.shop_id = s.shop_id and c.key = 'shoptet.signature_key' and c.is_secret)
           as has_signature_key,
       (select t.expires_at from core.shop_access_tokens t where t.shop_id = s.shop_id) as access_token_expires_at,
       array(select c.key from core.settings c where c.shop_id = s.shop_id and c.is_secret order by c.key)
           as secret_settings
from core.shops s
where s.shop_id = %(shop_id)s;

-- name: shop_cursors
select c.entity, c.cursor_at, c.last_run_at, c.last_error, c.last_warnings, c.updated_at,
       l.lag, l.lagging, l.sync_every, l.synced_until, l.lag_from
from ingest.sync_cursors c
left join ops.sync_lag l on l.shop_id = c.shop_id and l.entity = c.entity
where c.shop_id = %(shop_id)s
order by c.entity;

-- name: shop_webhook_events
-- webhook events the shop sent in the last 7 days, per event name (ingest.webhook_events keeps 30 days)
select e.event, count(*) as received, max(e.received_at) as last_received_at,
       count(*) filter (where e.status = 'queued') as queued
from ingest.webhook_events e
where e.shop_id = %(shop_id)s and e.received_at > now() - interval '7 days'
group by e.event
order by e.event;

-- name: shop_webhook_rejections
select r.day, r.reason, r.count, r.last_at
from ingest.webhook_rejections r
where r.shop_id = %(shop_id)s and r.day > current_date - 7
order by r.day desc, r.reason;

-- name: snapshot_jobs_page
-- snapshot jobs, newest first (keyset on id); progress columns as ops.snapshot_progress computes them
select j.id as job_id, j.shop_id, s.name as shop_name, s.timezone, j.entity, j.status,
       j.status in ('requested', 'waiting', 'importing', 'retrying') as active,
       j.processed_count, j.total_count, j.total_is_estimate, j.progress_percentage, j.rows_per_second,
       case when j.status = 'importing' and j.rows_per_second > 0 and j.total_count > j.processed_count
            then make_interval(secs => (j.total_count - j.processed_count) / j.rows_per_second)
       end as eta,
       j.failed_count, j.warning_count, j.retry_count, j.max_retries,
       j.requested_at, j.started_at, j.finished_at, j.last_error
from ingest.snapshot_jobs j
join core.shops s on s.shop_id = j.shop_id
where (%(shop_id)s::bigint is null or j.shop_id = %(shop_id)s::bigint)
  and (%(status)s::text is null or j.status = %(status)s::text)
  and (%(after_job_id)s::bigint is null or j.id < %(after_job_id)s::bigint)
order by j.id desc
limit %(limit)s;

-- name: snapshot_job
select j.id as job_id, j.shop_id, s.name as shop_name, s.timezone, j.entity, j.status,
       j.status in ('requested', 'waiting', 'importing', 'retrying') as active,
       j.processed_count, j.total_count, j.total_is_estimate, j.progress_percentage, j.rows_per_second,
       case when j.status = 'importing' and j.rows_per_second > 0 and j.total_count > j.processed_count
            then make_interval(secs => (j.total_count - j.processed_count) / j.rows_per_second)
       end as eta,
       j.failed_count, j.warning_count, j.retry_count, j.max_retries, j.filters, j.downloads, j.bytes_downloaded,
       j.requested_at, j.started_at, j.ready_at, j.finished_at, j.last_attempt_at, j.updated_at, j.last_error
from ingest.snapshot_jobs j
join core.shops s on s.shop_id = j.shop_id
where j.id = %(job_id)s;

-- name: snapshot_failures_page
-- bad lines of a job (severity error first, then warnings), by line number
select f.line_no, f.severity, f.field, f.error, left(f.raw_line, 2000) as raw_line
from ingest.snapshot_failures f
where f.job_id = %(job_id)s
  and (%(after_line_no)s::bigint is null
       or (f.line_no, f.field) > (%(after_line_no)s::bigint, %(after_field)s::text))
order by f.line_no, f.field
limit %(limit)s;

-- name: snapshot_retry
select ingest.snapshot_job_retry_now(%(job_id)s) as queued_job_id;

-- name: queue_depth
select d.queue_name as queue,
       sum(d.jobs) filter (where d.status = 'todo')::bigint as todo,
       sum(d.jobs) filter (where d.status = 'doing')::bigint as doing,
       sum(d.jobs) filter (where d.status = 'failed')::bigint as failed,
       (select count(*) from ops.stuck_jobs s where s.queue_name = d.queue_name) as stuck,
       o.waiting_for as oldest_wait, o.task_name as oldest_task, o.job_id as oldest_job_id, o.due_jobs
from ops.queue_depth d
left join ops.oldest_waiting_jobs o on o.queue_name = d.queue_name
group by d.queue_name, o.waiting_for, o.task_name, o.job_id, o.due_jobs
order by d.queue_name;

-- name: stuck_jobs
select job_id, queue_name as queue, task_name as task, args, worker_id, started_at, running_for, stuck_after,
       worker_last_heartbeat
from ops.stuck_jobs
order by running_for desc;

-- name: failed_jobs_page
-- failed procrastinate jobs, newest id first (keyset on job_id)
select job_id, queue_name as queue, task_name as task, shop_id, args, attempts, failed_at, error
from ops.failed_jobs
where %(after_job_id)s::bigint is null or job_id < %(after_job_id)s::bigint
order by job_id desc
limit %(limit)s;

-- name: job_throughput
-- job runs per hour over the last 24 hours, by outcome: procrastinate's events (kept until
-- housekeeping removes ended jobs), every hour listed
with hours as (
    select h from generate_series(date_trunc('hour', now()) - interval '23 hours', date_trunc('hour', now()),
                                  interval '1 hour') h
), ended as (
    select date_trunc('hour', e.at) as h,
           count(*) filter (where e.type = 'succeeded') as succeeded,
           count(*) filter (where e.type = 'failed') as failed
    from procrastinate.procrastinate_events e
    where e.at >= date_trunc('hour', now()) - interval '23 hours' and e.type in ('succeeded', 'failed')
    group by 1
)
select hours.h as hour, coalesce(ended.succeeded, 0) as succeeded, coalesce(ended.failed, 0) as failed
from hours left join ended using (h)
order by hours.h;

-- name: job_retry
-- a failed procrastinate job back to todo now (as ops.failed_jobs says); no row when it is not failed
select j.id as job_id, procrastinate.procrastinate_retry_job_v2(j.id, now(), null, null, null)
from procrastinate.procrastinate_jobs j
where j.id = %(job_id)s and j.status = 'failed';

-- name: job_cancel
-- a todo job is cancelled, a doing one (stuck) is asked to abort; null when it was neither
select procrastinate.procrastinate_cancel_job_v1(%(job_id)s, true, false) as cancelled_id;

-- name: database_health
select h.database, h.database_bytes, h.connections, h.max_connections, h.cache_hit_ratio, h.xact_commit,
       h.xact_rollback, h.deadlocks, h.temp_files, h.temp_bytes, h.dead_tuples, h.oldest_transaction, h.stats_reset
from ops.db_health h;

-- name: database_tables
-- estimated_rows of a partitioned table is the sum of its partitions' estimates (estimate_from says which)
select schema_name, table_name, total_bytes, table_bytes, index_bytes, estimated_rows, dead_tuples,
       last_vacuum, last_analyze, estimate_from
from ops.table_sizes
where partition_of is null
order by total_bytes desc, schema_name, table_name
limit 25;

-- name: database_partitions
select parent_table, partition, tier, bounds, estimated_rows, total_bytes, analyzed
from ops.partitions
order by tier, partition desc;

-- name: database_default_rows
select default_table, row_count from ops.default_partition_rows order by default_table;

-- name: database_slow_statements
select available, ranked_by, rank, role, calls, total_ms, mean_ms, max_ms, rows,
       left(btrim(regexp_replace(regexp_replace(query, '--[^\n]*', '', 'g'), '\s+', ' ', 'g')), 300) as query, note
from ops.slow_statements
where (ranked_by = 'mean' and query <> '<insufficient privilege>') or not available
order by rank nulls first
limit 10;

-- name: database_connections
select role, state, connections, longest_in_state, oldest_transaction
from ops.db_connections
order by connections desc, role, state;

-- name: backups_page
select backup_id, started_at, finished_at, status, size_bytes, verified, verify_status, verified_at,
       verify_error, error, removed_at
from ops.backups
where %(after_backup_id)s::bigint is null or backup_id < %(after_backup_id)s::bigint
order by backup_id desc
limit %(limit)s;
