/*
 * ops.housekeeping(p_webhook_days, p_job_days, p_failed_job_days): every kind of
 * ops.housekeeping_batch at once, in the caller's ONE transaction, and one ops.events row
 * (source ops.housekeeping, context: removed rows per table, seconds, the ages used). For psql
 * and small databases: the daily job and `hub db housekeeping` delete the same in batches of
 * housekeeping.batch_rows, one transaction each (runner/housekeeping.py), so that no lock is held
 * long on procrastinate's tables. Ages are the housekeeping.* settings
 * (ops.housekeeping_settings); a non-null argument (days) overrides one. Returns (what = table,
 * deleted = rows), one row per table. Raises 22023 for a bad setting.
 */
create or replace function ops.housekeeping(
    p_webhook_days integer default null,
    p_job_days integer default null,
    p_failed_job_days integer default null
)
returns table (what text, deleted bigint)
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_started timestamptz := clock_timestamp();
    v_ages jsonb := jsonb_strip_nulls(jsonb_build_object(
        'webhook_events_days', p_webhook_days, 'jobs_days', p_job_days, 'failed_jobs_days', p_failed_job_days));
    v_removed jsonb;
begin
    with counted as (
        select b.what, sum(b.deleted)::bigint as deleted, min(k.n) as n
        from unnest(ops.housekeeping_kinds()) with ordinality as k (kind, n)
        cross join lateral ops.housekeeping_batch(k.kind, null, false, v_ages) b
        group by b.what
    )
    select jsonb_object_agg(c.what, c.deleted order by c.n) into v_removed from counted c;
    perform ops.log_event('info', 'ops.housekeeping',
        format('housekeeping removed %s rows', (select sum(value::bigint) from jsonb_each_text(v_removed))),
        jsonb_build_object(
            'removed', v_removed,
            'seconds', round(extract(epoch from clock_timestamp() - v_started)::numeric, 3),
            'ages', to_jsonb(ops.housekeeping_settings()) || v_ages,
            'batches', 1));
    return query select r.key, r.value::bigint from jsonb_each_text(v_removed) r order by r.key;
end
$$;

comment on function ops.housekeeping(integer, integer, integer) is
    'Delete every kind of ops.housekeeping_batch in one transaction (ages: the housekeeping.* settings; non-null arguments override webhook, job and failed-job days) and log the counts to ops.events; returns (what = table, deleted = rows)';
