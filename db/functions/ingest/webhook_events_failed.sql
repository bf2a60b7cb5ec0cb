/*
 * ingest.webhook_events_failed: webhook events that will not complete by themselves because
 * a job carrying them ended failed (retries used up). Retry with procrastinate
 * (`procrastinate_retry_job_v2`) or a sync of the shop's entity.
 */
create or replace view ingest.webhook_events_failed as
select e.event_id, e.shop_id, e.event, e.event_instance, e.event_created, e.received_at,
       array_agg(j.id order by j.id) as failed_job_ids
from ingest.webhook_events e
join procrastinate.procrastinate_jobs j on j.id = any (e.job_ids)
where e.status = 'queued' and j.status = 'failed'
group by e.shop_id, e.event_id;

comment on view ingest.webhook_events_failed is
    'Webhook events stuck in queued because one of their jobs ended failed (retries used up)';
