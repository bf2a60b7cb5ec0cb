/*
 * ops.metrics(): every sample the web app's GET /metrics exposes from the database, in one
 * call (runner/metrics.py caches the result for a few seconds, so several web processes show
 * the same numbers). One row per sample: the metric family, the sample's name (a histogram's
 * _bucket / _sum / _count, a counter's _total), its labels as a JSON object of text values, and
 * its value in base units (seconds, bytes, ratios 0..1, Unix timestamps). Labels are of low
 * cardinality only: queue, status, outcome, entity, shop, table, check, state, le. Families:
 *   shoptet_hub_queue_jobs{queue,status}                 gauge: todo / doing / failed jobs (ops.queue_depth)
 *   shoptet_hub_queue_oldest_job_age_seconds{queue}      gauge: wait of the oldest due job (ops.oldest_waiting_jobs), 0 if none
 *   shoptet_hub_queue_stuck_jobs{queue}                  gauge: ops.stuck_jobs
 *   shoptet_hub_workers{state}                           gauge: alive / silent workers (ops.workers)
 *   shoptet_hub_job_runs_total{queue,status}             counter: job runs by outcome (ops.job_run_totals)
 *   shoptet_hub_job_failures_total{queue}                counter: runs that ended their job failed
 *   shoptet_hub_job_duration_seconds{queue}              histogram of job run durations
 *   shoptet_hub_webhook_deliveries_total{outcome}        counter: accepted, duplicate, unavailable
 *                                                        (ops.webhook_delivery_totals) and refused by reason
 *                                                        (ingest.webhook_rejections)
 *   shoptet_hub_shoptet_api_requests_total{shop,status}  counter: API calls by HTTP status (0: no answer)
 *   shoptet_hub_shoptet_api_request_duration_seconds{shop}  histogram of API call durations
 *   shoptet_hub_snapshot_jobs{status}                    gauge: imports requested / waiting / importing / retrying
 *   shoptet_hub_snapshot_progress_ratio{shop,entity}     gauge: progress of the newest active import, 0..1
 *   shoptet_hub_sync_lag_seconds{shop,entity}            gauge: ops.sync_lag of active shops
 *   shoptet_hub_sync_interval_seconds{entity}            gauge: the schedule's interval (alert on lag > 3 x it)
 *   shoptet_hub_backup_last_success_timestamp_seconds    gauge: finish of the last completed backup, 0 if none
 *   shoptet_hub_backup_last_verified_timestamp_seconds   gauge: finish of the last completed and verified one, 0 if none
 *   shoptet_hub_default_partition_rows{table}            gauge: ops.default_partition_rows
 *   shoptet_hub_attention_items{check}                   gauge: rows of ops.attention() per check
 * Counters are totals since recording began (tables never pruned), so they only grow.
 */
create or replace function ops.metrics()
returns table (family text, sample text, labels jsonb, value double precision)
language plpgsql
stable
set search_path = pg_catalog
as $$
begin
    -- plpgsql: the plan of this statement is kept for the session (a SQL function re-plans it every call)
    return query
    with depth as materialized (
        select d.queue_name, d.status, d.jobs from ops.queue_depth d
    ),
    queue as (
        select distinct d.queue_name from depth d
    ),
    job_bucket as (
        select t.queue_name, b.i, sum(b.n) as n
        from ops.job_run_totals t
        cross join lateral unnest(t.bucket_counts) with ordinality as b(n, i)
        group by t.queue_name, b.i
    ),
    api_bucket as (
        select t.shop_id, b.i, sum(b.n) as n
        from ops.api_call_totals t
        cross join lateral unnest(t.bucket_counts) with ordinality as b(n, i)
        group by t.shop_id, b.i
    ),
    attention as materialized (
        select a.check_name from ops.attention() a
    ),
    backup as (
        select b.last_completed_at, b.last_verified_at from ops.backup_status b
    )
    select 'shoptet_hub_queue_jobs', 'shoptet_hub_queue_jobs',
           jsonb_build_object('queue', d.queue_name, 'status', d.status), d.jobs::double precision
    from depth d
    union all
    select 'shoptet_hub_queue_oldest_job_age_seconds', 'shoptet_hub_queue_oldest_job_age_seconds',
           jsonb_build_object('queue', q.queue_name),
           greatest(coalesce(extract(epoch from o.waiting_for), 0), 0)::double precision
    from queue q
    left join ops.oldest_waiting_jobs o on o.queue_name = q.queue_name
    union all
    select 'shoptet_hub_queue_stuck_jobs', 'shoptet_hub_queue_stuck_jobs', jsonb_build_object('queue', q.queue_name),
           (select count(*) from ops.stuck_jobs s where s.queue_name = q.queue_name)::double precision
    from queue q
    union all
    select 'shoptet_hub_workers', 'shoptet_hub_workers', jsonb_build_object('state', st.state),
           (select count(*) from ops.workers w where w.alive = (st.state = 'alive'))::double precision
    from (values ('alive'), ('silent')) as st(state)
    union all
    select 'shoptet_hub_job_runs', 'shoptet_hub_job_runs_total',
           jsonb_build_object('queue', t.queue_name, 'status', t.status), sum(t.runs)::double precision
    from ops.job_run_totals t
    group by t.queue_name, t.status
    union all
    select 'shoptet_hub_job_failures', 'shoptet_hub_job_failures_total', jsonb_build_object('queue', q.queue_name),
           (select coalesce(sum(t.runs), 0) from ops.job_run_totals t
            where t.queue_name = q.queue_name and t.status = 'failed')::double precision
    from (select queue_name from queue union select queue_name from ops.job_run_totals) q
    union all
    select 'shoptet_hub_job_duration_seconds', 'shoptet_hub_job_duration_seconds_bucket',
           jsonb_build_object('queue', b.queue_name,
                              'le', coalesce((ops.job_duration_buckets())[b.i]::text, '+Inf')),
           sum(b.n) over (partition by b.queue_name order by b.i)::double precision
    from job_bucket b
    union all
    select 'shoptet_hub_job_duration_seconds', 'shoptet_hub_job_duration_seconds_sum',
           jsonb_build_object('queue', t.queue_name), sum(t.seconds_sum)
    from ops.job_run_totals t
    group by t.queue_name
    union all
    select 'shoptet_hub_job_duration_seconds', 'shoptet_hub_job_duration_seconds_count',
           jsonb_build_object('queue', t.queue_name), sum(t.runs)::double precision
    from ops.job_run_totals t
    group by t.queue_name
    union all
    select 'shoptet_hub_webhook_deliveries', 'shoptet_hub_webhook_deliveries_total',
           jsonb_build_object('outcome', o.outcome),
           (coalesce((select w.deliveries from ops.webhook_delivery_totals w where w.outcome = o.outcome), 0)
            + coalesce((select sum(r.count) from ingest.webhook_rejections r where r.reason = o.outcome), 0))::double precision
    from (values ('accepted'), ('duplicate'), ('unavailable'), ('unknown_shop'), ('bad_signature'),
                 ('missing_signature'), ('too_large'), ('malformed')) as o(outcome)
    union all
    select 'shoptet_hub_shoptet_api_requests', 'shoptet_hub_shoptet_api_requests_total',
           jsonb_build_object('shop', t.shop_id::text, 'status', t.status::text), t.calls::double precision
    from ops.api_call_totals t
    union all
    select 'shoptet_hub_shoptet_api_request_duration_seconds', 'shoptet_hub_shoptet_api_request_duration_seconds_bucket',
           jsonb_build_object('shop', b.shop_id::text, 'le', coalesce((ops.api_call_buckets())[b.i]::text, '+Inf')),
           sum(b.n) over (partition by b.shop_id order by b.i)::double precision
    from api_bucket b
    union all
    select 'shoptet_hub_shoptet_api_request_duration_seconds', 'shoptet_hub_shoptet_api_request_duration_seconds_sum',
           jsonb_build_object('shop', t.shop_id::text), sum(t.seconds_sum)
    from ops.api_call_totals t
    group by t.shop_id
    union all
    select 'shoptet_hub_shoptet_api_request_duration_seconds', 'shoptet_hub_shoptet_api_request_duration_seconds_count',
           jsonb_build_object('shop', t.shop_id::text), sum(t.calls)::double precision
    from ops.api_call_totals t
    group by t.shop_id
    union all
    select 'shoptet_hub_snapshot_jobs', 'shoptet_hub_snapshot_jobs', jsonb_build_object('status', st.status),
           (select count(*) from ingest.snapshot_jobs j where j.status = st.status)::double precision
    from (values ('requested'), ('waiting'), ('importing'), ('retrying')) as st(status)
    union all
    select 'shoptet_hub_snapshot_progress_ratio', 'shoptet_hub_snapshot_progress_ratio',
           jsonb_build_object('shop', p.shop_id::text, 'entity', p.entity), (p.progress_percentage / 100)::double precision
    from (
        select distinct on (s.shop_id, s.entity) s.shop_id, s.entity, s.progress_percentage
        from ops.snapshot_progress s
        where s.active
        order by s.shop_id, s.entity, s.job_id desc
    ) p
    union all
    select 'shoptet_hub_sync_lag_seconds', 'shoptet_hub_sync_lag_seconds',
           jsonb_build_object('shop', l.shop_id::text, 'entity', l.entity),
           greatest(extract(epoch from l.lag), 0)::double precision
    from ops.sync_lag l
    union all
    select 'shoptet_hub_sync_interval_seconds', 'shoptet_hub_sync_interval_seconds', jsonb_build_object('entity', i.entity),
           extract(epoch from i.sync_every)::double precision
    from ops.sync_intervals i
    union all
    select 'shoptet_hub_backup_last_success_timestamp_seconds', 'shoptet_hub_backup_last_success_timestamp_seconds',
           '{}'::jsonb, coalesce(extract(epoch from b.last_completed_at), 0)::double precision
    from backup b
    union all
    select 'shoptet_hub_backup_last_verified_timestamp_seconds', 'shoptet_hub_backup_last_verified_timestamp_seconds',
           '{}'::jsonb, coalesce(extract(epoch from b.last_verified_at), 0)::double precision
    from backup b
    union all
    select 'shoptet_hub_default_partition_rows', 'shoptet_hub_default_partition_rows',
           jsonb_build_object('table', d.default_table), d.row_count::double precision
    from ops.default_partition_rows d
    union all
    select 'shoptet_hub_attention_items', 'shoptet_hub_attention_items', jsonb_build_object('check', c.check_name),
           (select count(*) from attention a where a.check_name = c.check_name)::double precision
    from (values ('failed_jobs'), ('stuck_jobs'), ('default_partition'), ('sync_lag'), ('backup')) as c(check_name);
end
$$;

comment on function ops.metrics() is
    'Every /metrics sample from the database in one call: (family, sample name, labels as a JSON object of text, value '
    'in base units); families shoptet_hub_* (see the function file for the list)';
