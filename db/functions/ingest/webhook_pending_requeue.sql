/*
 * ingest.webhook_pending_requeue(p_older_than_seconds): the safety net of the drains. For every
 * shop and entity with waiting webhook keys (ingest.webhook_pending, not given up) queued more
 * than p_older_than_seconds ago and no drain job waiting or running (queueing lock / lock of
 * ingest.webhook_drain_defer), defer one. Such keys are left when a drain job failed for a
 * reason of its own (e.g. the database went away) or was cancelled. Returns (shop_id, entity,
 * job_id) of each drain deferred. Run every minute by the workers (task requeue_webhook_drains).
 */
create or replace function ingest.webhook_pending_requeue(p_older_than_seconds double precision default 30)
returns table (shop_id bigint, entity text, job_id bigint)
language sql
set search_path = pg_catalog, procrastinate
as $$
    select w.shop_id, w.entity, ingest.webhook_drain_defer(w.shop_id, w.entity)
    from (select distinct p.shop_id, p.entity
          from ingest.webhook_pending p
          where p.failed_at is null
            and p.queued_at < now() - make_interval(secs => p_older_than_seconds)) w
    where not exists (
        select from procrastinate_jobs j
        where j.status in ('todo', 'doing') and j.queueing_lock = format('webhooks:%s:%s', w.shop_id, w.entity))
    order by w.shop_id, w.entity;
$$;

comment on function ingest.webhook_pending_requeue(double precision) is
    'Defer a drain job for every shop and entity whose webhook keys wait with no drain job to take them';
