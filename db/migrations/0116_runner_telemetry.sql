-- What the runner's processes measure about their own work, aggregated in memory and written
-- every few seconds by runner/telemetry.py (one statement per flush, never a row per request):
--
--   ops.api_calls           Shoptet API calls per shop, minute and HTTP status, with a latency
--                           histogram: the "last hour" view (ops.api_calls_last_hour). Pruned by age.
--   ops.api_call_totals     the same since the table was created, per shop and status: counters
--                           for Prometheus (/metrics) that never go down when minutes are pruned.
--   ops.job_run_totals      procrastinate job runs per queue, task and outcome, with a duration
--                           histogram (counters for /metrics).
--   ops.webhook_delivery_totals  webhook deliveries the endpoint accepted, found duplicate or could
--                           not store (refused ones are counted in ingest.webhook_rejections).
--
-- Histograms are bigint[] of per-bucket counts (not cumulative) for the upper bounds of
-- ops.api_call_buckets() / ops.job_duration_buckets(), the last element counting values above
-- the last bound. No foreign key to core.shops: the figures outlive a purged shop.

create table ops.api_calls (
    shop_id       bigint not null,
    minute        timestamptz not null,
    status        smallint not null,
    calls         bigint not null,
    seconds_sum   double precision not null,
    seconds_max   double precision not null,
    bucket_counts bigint[] not null,
    primary key (shop_id, minute, status)
);
create index api_calls_minute on ops.api_calls (minute);

comment on table ops.api_calls is
    'Shoptet API calls (each HTTP attempt, retries included) per shop, minute and status, with a latency histogram';
comment on column ops.api_calls.minute is 'Start of the minute (UTC) the calls were answered in';
comment on column ops.api_calls.status is 'HTTP status of the answer; 0 when none came (connection error, timeout)';
comment on column ops.api_calls.seconds_sum is 'Sum of the calls'' durations in seconds (request sent to answer read)';
comment on column ops.api_calls.seconds_max is 'Longest call of the minute, seconds';
comment on column ops.api_calls.bucket_counts is
    'Calls per latency bucket: element i counts calls of at most ops.api_call_buckets()[i] seconds and more than '
    'the bound before; the last element those above the last bound';

create table ops.api_call_totals (
    shop_id       bigint not null,
    status        smallint not null,
    calls         bigint not null,
    seconds_sum   double precision not null,
    bucket_counts bigint[] not null,
    primary key (shop_id, status)
);

comment on table ops.api_call_totals is
    'Shoptet API calls per shop and status since recording began (never pruned): the counters of /metrics';
comment on column ops.api_call_totals.status is 'HTTP status of the answer; 0 when none came';
comment on column ops.api_call_totals.bucket_counts is 'Calls per latency bucket of ops.api_call_buckets() (as in ops.api_calls)';

create table ops.job_run_totals (
    queue_name    text not null,
    task_name     text not null,
    status        text not null,
    runs          bigint not null,
    seconds_sum   double precision not null,
    bucket_counts bigint[] not null,
    primary key (queue_name, task_name, status),
    constraint job_run_totals_status_known check (status in ('succeeded', 'failed', 'retried', 'aborted'))
);

comment on table ops.job_run_totals is
    'procrastinate job runs (attempts) per queue, task and outcome since recording began, with a duration histogram';
comment on column ops.job_run_totals.status is
    'succeeded; failed (the last attempt failed: the job ended failed); retried (an attempt failed, the job runs '
    'again later); aborted';
comment on column ops.job_run_totals.bucket_counts is
    'Runs per duration bucket of ops.job_duration_buckets() (element i: at most bound i seconds; last: above all)';

create table ops.webhook_delivery_totals (
    outcome    text primary key,
    deliveries bigint not null,
    constraint webhook_delivery_totals_outcome_known check (outcome in ('accepted', 'duplicate', 'unavailable'))
);

comment on table ops.webhook_delivery_totals is
    'Webhook deliveries answered by the endpoint since recording began, by outcome (refused ones: ingest.webhook_rejections)';
comment on column ops.webhook_delivery_totals.outcome is
    'accepted (stored, 200), duplicate (already stored, 200), unavailable (could not be stored, 503: Shoptet retries)';
