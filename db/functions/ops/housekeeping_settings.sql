/*
 * ops.housekeeping_settings(): how long housekeeping keeps each kind of row, from the global
 * settings (core.settings; no per-shop values), else the defaults of issue 14:
 *   housekeeping.webhook_events_days     30  processed (done, ignored) webhook events, days after processing
 *   housekeeping.jobs_days               14  procrastinate jobs that ended (succeeded, cancelled, aborted)
 *   housekeeping.failed_jobs_days        90  failed jobs, ops.job_recoveries, and webhook events still
 *                                            queued that nothing works on any more (given up)
 *   housekeeping.events_days             90  ops.events (the hub's log)
 *   housekeeping.snapshot_failures_days  90  bad lines and warnings of snapshot imports that ended
 *                                            that many days ago (the import's row stays)
 *   housekeeping.snapshot_jobs_keep      50  snapshot imports kept per shop and entity (newest)
 *   housekeeping.api_calls_days           7  ops.api_calls minutes (monitoring reads the last hour;
 *                                            /metrics reads ops.api_call_totals, never pruned)
 *   housekeeping.batch_rows           5000  rows deleted per transaction (100..100000)
 * Days are whole days from 1 to 3650 (snapshot_jobs_keep 1..100000). Raises 22023 naming the
 * first bad setting (ops.housekeeping_setting).
 */
create or replace function ops.housekeeping_settings(
    out webhook_events_days integer,
    out jobs_days integer,
    out failed_jobs_days integer,
    out events_days integer,
    out snapshot_failures_days integer,
    out snapshot_jobs_keep integer,
    out api_calls_days integer,
    out batch_rows integer
)
language plpgsql
stable
set search_path = pg_catalog
as $$
begin
    webhook_events_days := ops.housekeeping_setting('housekeeping.webhook_events_days', 30, 1, 3650);
    jobs_days := ops.housekeeping_setting('housekeeping.jobs_days', 14, 1, 3650);
    failed_jobs_days := ops.housekeeping_setting('housekeeping.failed_jobs_days', 90, 1, 3650);
    events_days := ops.housekeeping_setting('housekeeping.events_days', 90, 1, 3650);
    snapshot_failures_days := ops.housekeeping_setting('housekeeping.snapshot_failures_days', 90, 1, 3650);
    snapshot_jobs_keep := ops.housekeeping_setting('housekeeping.snapshot_jobs_keep', 50, 1, 100000);
    api_calls_days := ops.housekeeping_setting('housekeeping.api_calls_days', 7, 1, 3650);
    batch_rows := ops.housekeeping_setting('housekeeping.batch_rows', 5000, 100, 100000);
end
$$;

comment on function ops.housekeeping_settings() is
    'Housekeeping ages (whole days) and limits from the housekeeping.* settings, else the defaults (webhook events 30, jobs 14, failed jobs 90, ops.events 90, snapshot failures 90, 50 snapshot jobs kept per shop and entity, api_calls 7, 5000 rows a batch); raises 22023 naming a bad one';
