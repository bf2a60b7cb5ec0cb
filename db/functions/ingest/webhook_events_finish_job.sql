/*
 * ingest.webhook_events_finish_job(p_job_id): called by a job in its own transaction as it
 * succeeds: every queued event whose other jobs have all succeeded (or are gone) is done.
 * Sibling jobs share their lock, so they finish one after another and the last one sees
 * the others as succeeded.
 */
create or replace function ingest.webhook_events_finish_job(p_job_id bigint)
returns integer
language sql
set search_path = pg_catalog, procrastinate
as $$
    with done as (
        update ingest.webhook_events e
        set status = 'done', processed_at = now()
        where e.job_ids @> array[p_job_id]
          and e.status = 'queued'
          and not exists (
              select from unnest(e.job_ids) as j (id)
              join procrastinate_jobs p on p.id = j.id
              where j.id <> p_job_id and p.status <> 'succeeded')
        returning 1
    )
    select count(*)::integer from done;
$$;

comment on function ingest.webhook_events_finish_job(bigint) is
    'Mark done the queued webhook events of a succeeding job whose other jobs all succeeded; returns how many';
