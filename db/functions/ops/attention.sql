/*
 * ops.attention(p_failed_within): what needs an operator now, one row per
 * problem, with what to do -- the judgement behind `hub status` (non-zero exit when any row),
 * and /metrics (shoptet_hub_attention_items). Checks (check_name):
 *   failed_jobs       jobs that ended failed within p_failed_within (default 24 hours), per queue (warning)
 *   stuck_jobs        jobs doing beyond their queue's stuck_after (ops.stuck_jobs), per job (critical)
 *   default_partition rows in a default partition (ops.default_partition_rows), per table (warning)
 *   sync_lag          an active shop's entity whose sync lags over 3 x its interval (ops.sync_lag) (critical)
 *   backup            one row per entry of ops.backup_status.problems: no completed backup, the
 *                     newest older than 26 hours (a daily backup plus slack), not verified or its
 *                     verify failed, the last run failed, WAL archiving failing, no pgBackRest
 *                     backup within 26 hours or its verify failed (critical)
 * Intervals in the texts are rounded to seconds.
 */
create or replace function ops.attention(p_failed_within interval default interval '24 hours')
returns table (check_name text, severity text, subject text, detail text, action text)
language plpgsql
stable
set search_path = pg_catalog
as $$
begin
    -- plpgsql: the plan of this statement is kept for the session (a SQL function re-plans it every call)
    return query
    with failed as (
        -- jobs still failed whose failure event lies in the window (index procrastinate_events_failed_at)
        select j.queue_name, count(distinct j.id) as jobs,
               (array_agg(j.id order by e.at desc, j.id desc))[1] as newest_id
        from procrastinate.procrastinate_events e
        join procrastinate.procrastinate_jobs j on j.id = e.job_id and j.status = 'failed'
        where e.type = 'failed' and e.at > now() - p_failed_within
        group by j.queue_name
    ),
    backup as (
        select b.* from ops.backup_status b
    )
    select 'failed_jobs', 'warning', 'queue ' || f.queue_name,
           format('%s job(s) failed in the last %s h; newest %s[%s]: %s', f.jobs,
                  trim_scale(round(extract(epoch from p_failed_within) / 3600, 1)), n.task_name,
                  f.newest_id, coalesce(left(n.error, 300), 'no error recorded')),
           'select * from ops.failed_jobs: fix the cause, then retry a job (docs/operations.md#what-needs-attention-and-what-to-do)'
    from failed f
    -- limit 1: kept a subquery, so only the newest job's row of the view is computed
    left join lateral (select x.task_name, x.error from ops.failed_jobs x where x.job_id = f.newest_id limit 1) n on true
    union all
    select 'stuck_jobs', 'critical', format('job %s (%s, queue %s)', s.job_id, s.task_name, s.queue_name),
           format('doing for %s, the queue allows %s; its worker %s', date_trunc('second', s.running_for), s.stuck_after,
                  case when s.worker_last_heartbeat is null then 'is gone'
                       else format('sent its last heartbeat %s ago',
                                   date_trunc('second', now() - s.worker_last_heartbeat)) end),
           'a live worker: its task hangs (see its log, restart the worker); a gone worker: the stalled-job recovery '
           'of a running `hub worker` puts the job back within a minute'
    from ops.stuck_jobs s
    union all
    select 'default_partition', 'warning', d.default_table,
           format('%s row(s) in the default partition', d.row_count),
           'hub db maintain (moves them into their quarter''s partition)'
    from ops.default_partition_rows d
    where d.row_count > 0
    union all
    select 'sync_lag', 'critical', format('shop %s %s', l.shop_id, l.entity),
           format('%s behind (synced every %s)%s', date_trunc('second', l.lag), l.sync_every,
                  case when l.never_synced then '; never synced'
                       when l.last_error is not null then '; last error: ' || left(l.last_error, 300)
                       else '' end),
           format('hub sync --shop %s --entity %s; check that a worker serves queue %s', l.shop_id, l.entity, l.entity)
    from ops.sync_lag l
    where l.lagging
    union all
    select 'backup', 'critical', 'backups', p.problem,
           'hub backup list; hub backup run / verify as the text says (docs/operations.md#backups)'
    from backup b
    cross join lateral unnest(b.problems) as p(problem);
end
$$;

comment on function ops.attention(interval) is
    'What needs an operator now, one row per problem (check_name, severity warning|critical, subject, detail, action): '
    'failed jobs within p_failed_within, stuck jobs, default-partition rows, syncs lagging over 3 x their interval, '
    'and every problem ops.backup_status names (no, old, unverified or failed backups; WAL archiving; pgBackRest)';
