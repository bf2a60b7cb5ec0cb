-- The limits the monitoring views judge by, in tables an operator changes with one UPDATE:
-- how long a job of each queue may run before it counts as stuck, and how often each entity is
-- synced (a sync lagging more than 3 times its interval needs attention). The intervals follow
-- the schedule of runner/tasks.py (a test keeps them in step).

create table ops.queue_timeouts (
    queue_name  text primary key,
    stuck_after interval not null,
    constraint queue_timeouts_positive check (stuck_after > interval '0')
);

comment on table ops.queue_timeouts is
    'Per procrastinate queue: how long a job may be doing before ops.stuck_jobs lists it (queues not named here: 1 hour)';
comment on column ops.queue_timeouts.stuck_after is 'A job running longer than this is stuck (a hung task or a dead worker)';

insert into ops.queue_timeouts (queue_name, stuck_after) values
    ('webhooks', interval '10 minutes'),     -- one entity fetched and applied
    ('orders', interval '1 hour'),           -- a sync; after a long outage it may take a snapshot
    ('customers', interval '2 hours'),
    ('products', interval '2 hours'),
    ('snapshots', interval '6 hours'),       -- a full import of a large shop
    ('analytics', interval '1 hour'),
    ('maintenance', interval '6 hours');     -- the daily backup of a large database

create table ops.sync_intervals (
    entity     text primary key,
    sync_every interval not null,
    constraint sync_intervals_entity_known check (entity in ('orders', 'customers', 'products')),
    constraint sync_intervals_positive check (sync_every > interval '0')
);

comment on table ops.sync_intervals is
    'How often the workers sync each entity of every active shop (runner/tasks.py schedule); ops.sync_lag flags a lag over 3 times it';
comment on column ops.sync_intervals.sync_every is 'The schedule''s interval between two syncs of a shop''s entity';

insert into ops.sync_intervals (entity, sync_every) values
    ('orders', interval '5 minutes'),
    ('customers', interval '2 hours'),
    ('products', interval '2 hours');

-- ops.queue_depth and /metrics count jobs per queue and status at every scrape, and
-- ops.attention() looks for jobs that failed recently; procrastinate's own indexes serve neither,
-- and ended jobs (with three events each) stay 14-90 days. Both indexes are partial: they hold
-- the few jobs not ended well and the few failure events only.
create index procrastinate_jobs_queue_depth on procrastinate.procrastinate_jobs (queue_name, status)
    where status in ('todo', 'doing', 'failed');
comment on index procrastinate.procrastinate_jobs_queue_depth is
    'Shoptet Hub: todo, doing and failed jobs per queue (ops.queue_depth, /metrics) without reading ended jobs';
create index procrastinate_events_failed_at on procrastinate.procrastinate_events (at, job_id) where type = 'failed';
comment on index procrastinate.procrastinate_events_failed_at is
    'Shoptet Hub: when jobs failed (ops.failed_jobs, ops.attention) from the failure events alone, index-only';
