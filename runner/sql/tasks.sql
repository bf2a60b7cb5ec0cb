-- Queries of runner/tasks.py.

-- name: webhook_event_get
select shop_id, event, event_instance from ingest.webhook_events where event_id = %(event_id)s;

-- name: webhook_events_finish_job
select ingest.webhook_events_finish_job(%(job_id)s);

-- name: shop_set_status
update core.shops set status = %(status)s, updated_at = now() where shop_id = %(shop_id)s;

-- name: active_shops
select shop_id from core.shops where status = 'active' order by shop_id;

-- name: snapshot_jobs_due
-- failed snapshot imports with retries left, an hour after their last attempt (claimed: status retrying)
select id, shop_id, entity from ingest.snapshot_jobs_due_for_retry();

-- name: recover_stalled_jobs
-- run through procrastinate's connector (pyformat parameters); one row per job handled
select job_id, task_name, lock, queueing_lock, attempts, action, retry_at, superseded_by, reason
from ops.recover_stalled_jobs(%(seconds)s, %(max_attempts)s);

-- name: refresh_customer_metrics
select analytics.refresh_customer_metrics(%(shop_id)s);

-- name: refresh_changed_customers
select analytics.refresh_changed_customers(%(shop_id)s);

-- name: refresh_variant_metrics
-- the variants of orders written since the last refresh; every variant on a new local day
select analytics.refresh_variant_metrics(%(shop_id)s);

-- name: webhook_pending_adopt
-- a fetch job queued before the drains hands its key (and its queued events) to ingest.webhook_pending
select ingest.webhook_pending_adopt(%(job_id)s, %(shop_id)s, %(entity)s, %(kind)s, %(key)s);

-- name: webhook_pending_requeue
-- a drain for every shop and entity whose webhook keys wait with no drain job (keys queued > 30 s ago)
select shop_id, entity, job_id from ingest.webhook_pending_requeue(30);
