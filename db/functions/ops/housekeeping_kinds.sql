/*
 * ops.housekeeping_kinds(): the kinds of rows housekeeping removes, in the order it removes them
 * (ops.housekeeping_batch says what each one is). Webhook events go before the jobs that carried
 * them, and a snapshot job's failures before the job (foreign key).
 */
create or replace function ops.housekeeping_kinds()
returns text[]
language sql
immutable
set search_path = pg_catalog
as $$
    select array['webhook_events', 'jobs', 'job_recoveries', 'snapshot_failures', 'snapshot_jobs', 'events',
                 'api_calls']
$$;

comment on function ops.housekeeping_kinds() is
    'The kinds of ops.housekeeping_batch in the order housekeeping runs them: webhook_events, jobs, job_recoveries, snapshot_failures, snapshot_jobs, events, api_calls';
