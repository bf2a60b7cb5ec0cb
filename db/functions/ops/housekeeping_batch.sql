/*
 * ops.housekeeping_batch(p_kind, p_limit, p_dry_run, p_ages): delete at most p_limit rows of one
 * kind that housekeeping may remove (null: all of them), in the caller's transaction; with
 * p_dry_run, delete nothing and count what would go. Returns one row per table touched: what
 * (the table) and deleted (rows). The ages come from ops.housekeeping_settings(); p_ages (a JSON
 * object with the same keys, e.g. {"jobs_days": 7}) overrides some. Kinds, in the order
 * housekeeping runs them:
 *   webhook_events     ingest.webhook_events done or ignored more than webhook_events_days ago,
 *                      and those still queued since more than failed_jobs_days that nothing works
 *                      on any more (no job of theirs todo or doing); never one that a row of
 *                      ingest.webhook_pending names (a key waiting or given up)
 *   jobs               procrastinate_jobs that ended (succeeded, cancelled, aborted) more than
 *                      jobs_days ago, failed ones after failed_jobs_days, with their
 *                      procrastinate_events (counted apart); never todo or doing, nor a job
 *                      ingest.webhook_drains names. The end is the job's last event (procrastinate
 *                      keeps no end time of its own): a job retried or run again is young again
 *   job_recoveries     ops.job_recoveries older than failed_jobs_days
 *   snapshot_failures  ingest.snapshot_failures (bad lines, warnings) of snapshot jobs that ended
 *                      more than snapshot_failures_days ago (finished_at, else updated_at); the
 *                      job's row and counts stay
 *   snapshot_jobs      ingest.snapshot_jobs beyond the newest snapshot_jobs_keep of their shop and
 *                      entity, ended (completed, completed_with_errors, or failed with no retry
 *                      left), with their snapshot_failures (counted apart, deleted first: the
 *                      foreign key); never one requested, waiting, importing or retrying
 *   events             ops.events older than events_days
 *   api_calls          ops.api_calls minutes older than api_calls_days (ops.api_call_totals,
 *                      the counters of /metrics, are never pruned)
 * Each delete re-checks the row's status on the row it deletes, so a job retried or a snapshot
 * job restarted meanwhile is kept. Raises 22023 for an unknown kind or a bad setting.
 */
create or replace function ops.housekeeping_batch(
    p_kind text,
    p_limit integer default null,
    p_dry_run boolean default false,
    p_ages jsonb default null
)
returns table (what text, deleted bigint)
language plpgsql
set search_path = pg_catalog, procrastinate  -- procrastinate's delete trigger names its tables unqualified
as $$
declare
    v_ages jsonb := to_jsonb(ops.housekeeping_settings()) || coalesce(p_ages, '{}');
    v_now timestamptz := now();
    v_count bigint;
    v_more bigint;
    v_ids bigint[];
begin
    if p_kind = 'webhook_events' then
        with doomed as (
            (select e.shop_id, e.event_id
             from ingest.webhook_events e
             where e.processed_at < v_now - make_interval(days => (v_ages ->> 'webhook_events_days')::integer)
               and e.status in ('done', 'ignored')
               and not exists (select from ingest.webhook_pending p where p.event_ids @> array[e.event_id])
             limit p_limit)
            union all
            (select e.shop_id, e.event_id
             from ingest.webhook_events e
             where e.status = 'queued'
               and e.received_at < v_now - make_interval(days => (v_ages ->> 'failed_jobs_days')::integer)
               and not exists (select from ingest.webhook_pending p where p.event_ids @> array[e.event_id])
               and not exists (select from procrastinate.procrastinate_jobs j
                               where j.id = any (e.job_ids) and j.status in ('todo', 'doing'))
             limit p_limit)
        ), gone as (
            delete from ingest.webhook_events e
            using doomed d
            where not p_dry_run and e.shop_id = d.shop_id and e.event_id = d.event_id
              and (e.status in ('done', 'ignored')
                   or (e.status = 'queued'
                       and not exists (select from procrastinate.procrastinate_jobs j
                                       where j.id = any (e.job_ids) and j.status in ('todo', 'doing'))))
            returning 1
        )
        select case when p_dry_run then (select count(*) from doomed) else (select count(*) from gone) end
        into v_count;
        what := 'ingest.webhook_events'; deleted := v_count; return next;

    elsif p_kind = 'jobs' then
        with ended as (
            select ev.job_id
            from procrastinate.procrastinate_events ev
            where ev.type in ('succeeded', 'cancelled', 'aborted')
              and ev.at < v_now - make_interval(days => (v_ages ->> 'jobs_days')::integer)
            union all  -- not union: that would read every old event before the first batch (no limit)
            select ev.job_id
            from procrastinate.procrastinate_events ev
            where ev.type = 'failed'
              and ev.at < v_now - make_interval(days => (v_ages ->> 'failed_jobs_days')::integer)
        ), doomed as (
            select j.id
            from ended e
            join procrastinate.procrastinate_jobs j on j.id = e.job_id
            where j.status in ('succeeded', 'cancelled', 'aborted', 'failed')
              and not exists (
                  select from procrastinate.procrastinate_events ev
                  where ev.job_id = j.id
                    and ev.at >= v_now - make_interval(days => (v_ages ->> case j.status when 'failed'
                        then 'failed_jobs_days' else 'jobs_days' end)::integer))
              and not exists (select from ingest.webhook_drains d where d.job_id = j.id)
            limit p_limit
        )
        select array_agg(distinct d.id) into v_ids from doomed d;
        v_ids := coalesce(v_ids, '{}');
        if p_dry_run then
            select count(*) into v_more from procrastinate.procrastinate_events ev where ev.job_id = any (v_ids);
            v_count := cardinality(v_ids);
        else
            -- re-checked on the rows deleted: a job retried meanwhile (todo) stays. Its events go
            -- first, set-based (the foreign key's cascade would delete them job by job)
            with gone as (
                delete from procrastinate.procrastinate_jobs j
                where j.id = any (v_ids) and j.status in ('succeeded', 'cancelled', 'aborted', 'failed')
                returning j.id
            ), gone_events as (
                delete from procrastinate.procrastinate_events ev
                using gone g
                where ev.job_id = g.id
                returning 1
            )
            select (select count(*) from gone), (select count(*) from gone_events) into v_count, v_more;
        end if;
        what := 'procrastinate_jobs'; deleted := v_count; return next;
        what := 'procrastinate_events'; deleted := v_more; return next;

    elsif p_kind = 'job_recoveries' then
        with doomed as (
            select r.recovery_id
            from ops.job_recoveries r
            where r.recovered_at < v_now - make_interval(days => (v_ages ->> 'failed_jobs_days')::integer)
            limit p_limit
        ), gone as (
            delete from ops.job_recoveries r using doomed d
            where not p_dry_run and r.recovery_id = d.recovery_id
            returning 1
        )
        select case when p_dry_run then (select count(*) from doomed) else (select count(*) from gone) end
        into v_count;
        what := 'ops.job_recoveries'; deleted := v_count; return next;

    elsif p_kind = 'snapshot_failures' then
        with old_jobs as (
            select j.shop_id, j.id
            from ingest.snapshot_jobs j
            where coalesce(j.finished_at, j.updated_at)
                      < v_now - make_interval(days => (v_ages ->> 'snapshot_failures_days')::integer)
              and (j.status in ('completed', 'completed_with_errors')
                   or (j.status = 'failed' and j.retry_count >= j.max_retries))
        ), doomed as (
            select f.shop_id, f.job_id, f.line_no, f.field
            from old_jobs o
            join ingest.snapshot_failures f on f.shop_id = o.shop_id and f.job_id = o.id
            limit p_limit
        ), gone as (
            delete from ingest.snapshot_failures f using doomed d
            where not p_dry_run
              and (f.shop_id, f.job_id, f.line_no, f.field) = (d.shop_id, d.job_id, d.line_no, d.field)
            returning 1
        )
        select case when p_dry_run then (select count(*) from doomed) else (select count(*) from gone) end
        into v_count;
        what := 'ingest.snapshot_failures'; deleted := v_count; return next;

    elsif p_kind = 'snapshot_jobs' then
        with ranked as (
            select j.shop_id, j.id, j.status, j.retry_count, j.max_retries,
                   row_number() over (partition by j.shop_id, j.entity order by j.id desc) as newest
            from ingest.snapshot_jobs j
        ), doomed as (
            select r.shop_id, r.id
            from ranked r
            where r.newest > (v_ages ->> 'snapshot_jobs_keep')::integer
              and (r.status in ('completed', 'completed_with_errors')
                   or (r.status = 'failed' and r.retry_count >= r.max_retries))
            limit p_limit
        ), gone_failures as (
            delete from ingest.snapshot_failures f using doomed d
            where not p_dry_run and f.shop_id = d.shop_id and f.job_id = d.id
            returning 1
        ), gone as (
            delete from ingest.snapshot_jobs j using doomed d
            where not p_dry_run and j.shop_id = d.shop_id and j.id = d.id
              and (j.status in ('completed', 'completed_with_errors')
                   or (j.status = 'failed' and j.retry_count >= j.max_retries))
            returning 1
        )
        select case when p_dry_run then (select count(*) from doomed) else (select count(*) from gone) end,
               case when p_dry_run
                    then (select count(*) from ingest.snapshot_failures f join doomed d
                          on f.shop_id = d.shop_id and f.job_id = d.id)
                    else (select count(*) from gone_failures) end
        into v_count, v_more;
        what := 'ingest.snapshot_jobs'; deleted := v_count; return next;
        what := 'ingest.snapshot_failures'; deleted := v_more; return next;

    elsif p_kind = 'events' then
        with doomed as (
            select e.event_id
            from ops.events e
            where e.at < v_now - make_interval(days => (v_ages ->> 'events_days')::integer)
            limit p_limit
        ), gone as (
            delete from ops.events e using doomed d
            where not p_dry_run and e.event_id = d.event_id
            returning 1
        )
        select case when p_dry_run then (select count(*) from doomed) else (select count(*) from gone) end
        into v_count;
        what := 'ops.events'; deleted := v_count; return next;

    elsif p_kind = 'api_calls' then
        with doomed as (
            select a.shop_id, a.minute, a.status
            from ops.api_calls a
            where a.minute < v_now - make_interval(days => (v_ages ->> 'api_calls_days')::integer)
            limit p_limit
        ), gone as (
            delete from ops.api_calls a using doomed d
            where not p_dry_run and (a.shop_id, a.minute, a.status) = (d.shop_id, d.minute, d.status)
            returning 1
        )
        select case when p_dry_run then (select count(*) from doomed) else (select count(*) from gone) end
        into v_count;
        what := 'ops.api_calls'; deleted := v_count; return next;

    else
        raise exception 'ops.housekeeping_batch: unknown kind %, expected one of %', p_kind,
            array_to_string(ops.housekeeping_kinds(), ', ')
            using errcode = '22023';
    end if;
end
$$;

comment on function ops.housekeeping_batch(text, integer, boolean, jsonb) is
    'Delete at most p_limit rows (null: all) of one housekeeping kind (ops.housekeeping_kinds()) older than its age; p_dry_run counts instead; returns (what = table, deleted = rows)';
