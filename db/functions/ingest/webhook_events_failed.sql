/*
 * ingest.webhook_events_failed: webhook events that will not complete by themselves: a job
 * carrying them ended failed (retries used up), or a key of theirs is one the drain gave up on
 * (ingest.webhook_pending.failed_at: fetched too often in vain, refused by Shoptet, or a document
 * that cannot be applied; last_error says why). A new event for the key, a sync of the shop's
 * entity, or for a failed job `procrastinate_retry_job_v2`, completes them.
 */
create or replace view ingest.webhook_events_failed as
select e.event_id, e.shop_id, e.event, e.event_instance, e.event_created, e.received_at,
       coalesce(jobs.ids, '{}') as failed_job_ids,
       coalesce(keys.keys, '{}') as failed_keys,
       keys.last_error
from ingest.webhook_events e
left join lateral (
    select array_agg(j.id order by j.id) as ids
    from procrastinate.procrastinate_jobs j
    where j.id = any (e.job_ids) and j.status = 'failed'
) jobs on true
left join lateral (
    select array_agg(p.key order by p.key) as keys, max(p.last_error) as last_error
    from ingest.webhook_pending p
    where p.event_ids @> array[e.event_id] and p.failed_at is not null
) keys on true
where e.status = 'queued' and (jobs.ids is not null or keys.keys is not null);

comment on view ingest.webhook_events_failed is
    'Webhook events stuck in queued: one of their jobs ended failed (failed_job_ids), or the drain gave up on '
    'a key of theirs (failed_keys, last_error)';
