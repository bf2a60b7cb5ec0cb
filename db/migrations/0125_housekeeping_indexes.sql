-- Housekeeping (ops.housekeeping_batch, issue 14 item 6) finds what to delete by age, in small
-- batches, every day; these partial indexes let each batch read only the rows it may delete
-- instead of every ended job or every webhook event.
--
-- procrastinate_jobs has no end time of its own: a job ended when its succeeded, cancelled,
-- aborted or failed event was written (procrastinate's status trigger; ops.recover_stalled_jobs
-- writes cancelled itself). Failed ones already have procrastinate_events_failed_at (0117); this
-- one holds the other ended events. One index insert per ended job; the index stays as small as
-- the 14 days of jobs housekeeping keeps.
create index procrastinate_events_ended_at on procrastinate.procrastinate_events (at, job_id)
    where type in ('succeeded', 'cancelled', 'aborted');
comment on index procrastinate.procrastinate_events_ended_at is
    'Shoptet Hub: when jobs ended well, cancelled or aborted (ops.housekeeping_batch finds jobs ended N days ago)';

-- Webhook events still queued: few at any time (a burst waiting for its drain, or events whose
-- job failed or whose key was given up); housekeeping removes the given-up ones after the
-- failed-job age without reading the processed millions.
create index webhook_events_queued on ingest.webhook_events (received_at) where status = 'queued';
comment on index ingest.webhook_events_queued is
    'Webhook events not yet done, by arrival (ops.housekeeping_batch: queued events nothing works on any more)';
