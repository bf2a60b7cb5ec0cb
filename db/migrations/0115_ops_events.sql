-- ops.events: the hub's own log of what went wrong (and what maintenance did), in the database
-- where `hub status`, the monitoring views and a DBA look. Written by
--   * `hub worker` and `hub serve`: every WARNING and ERROR log record (runner/logs.py hands them
--     to runner/telemetry.py, which writes them in batches every few seconds; a job that fails
--     for good is one ERROR record with its job id and error), and
--   * SQL: ops.log_event(), e.g. housekeeping saying how many rows it removed (context jsonb).
-- No foreign key to core.shops: events outlive a purged shop. Pruned by age (housekeeping), so
-- the only index that matters is on `at`; job_id is looked up by ops.failed_jobs.

create table ops.events (
    event_id bigint generated always as identity primary key,
    at       timestamptz not null default now(),
    level    text not null,
    source   text not null,
    shop_id  bigint,
    message  text not null,
    context  jsonb not null default '{}',
    constraint events_level_known check (level in ('debug', 'info', 'warning', 'error', 'critical')),
    constraint events_context_is_object check (jsonb_typeof(context) = 'object')
);

create index events_at on ops.events (at);
create index events_shop_at on ops.events (shop_id, at) where shop_id is not null;
create index events_job_id on ops.events ((context ->> 'job_id')) where context ? 'job_id';

comment on table ops.events is
    'Log of the hub in the database: warnings and errors of workers and the web app, and what scheduled '
    'maintenance did (ops.log_event); newest by at. Pruned by age';
comment on column ops.events.at is 'When it happened (the log record''s time, not when it was written)';
comment on column ops.events.level is 'debug, info, warning, error or critical (Python logging levels, lower case)';
comment on column ops.events.source is
    'Who wrote it: the Python logger (hub.tasks, hub.shoptet, procrastinate.worker, ...) or the SQL function (ops.housekeeping)';
comment on column ops.events.shop_id is 'The shop it is about, when one (Shoptet eshopId; no foreign key: kept after a purge)';
comment on column ops.events.message is 'What happened, in one line';
comment on column ops.events.context is
    'The log record''s fields as a JSON object (secrets masked): e.g. job_id, task, queue, error, process, pid, host; '
    'housekeeping: removed row counts';
comment on index ops.events_job_id is 'ops.failed_jobs: the error of a failed procrastinate job (context job_id)';
