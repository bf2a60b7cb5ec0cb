/*
 * ingest.snapshot_job_start(p_job_id, p_margin): a new attempt of a snapshot import begins.
 *
 * Decides whether the attempt may read the result file it already has (Shoptet keeps a result
 * 24 h: shoptet-api.md section 5, validUntil of the job detail) and whether it may resume it:
 *   result_url:        the stored result_url while it is valid for at least p_margin more
 *                      (result_valid_until; without one, 20 h after ready_at), else null: the
 *                      attempt asks Shoptet for a new snapshot;
 *   resume_after_line: the line of that file up to which an earlier, unfinished attempt applied and
 *                      committed its chunks (the attempt skips them), else 0. A full snapshot only
 *                      resumes when the keys it has seen are still there (ingest.snapshot_seen is
 *                      unlogged: a server crash empties it, and then the whole file is read again,
 *                      or the deletion check would take the skipped entities for deleted ones).
 * When the attempt does not resume, the previous attempt's bad lines, seen keys and progress are
 * cleared. The job becomes 'requested' with a new last_attempt_at / started_at.
 * Raises P0002 when the job does not exist.
 */
create or replace function ingest.snapshot_job_start(p_job_id bigint, p_margin interval default interval '10 minutes')
returns table (result_url text, resume_after_line bigint, result_valid_until timestamptz)
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_job ingest.snapshot_jobs;
    v_reuse boolean;
    v_resume boolean;
begin
    select * into v_job from ingest.snapshot_jobs j where j.id = p_job_id for update;
    if not found then
        raise exception 'snapshot job % does not exist', p_job_id using errcode = 'P0002';
    end if;
    v_reuse := v_job.result_url is not null
               and coalesce(v_job.result_valid_until, v_job.ready_at + interval '20 hours') > now() + p_margin;
    v_resume := v_reuse and v_job.resume_after_line > 0 and v_job.total_is_estimate
                and (v_job.filters <> '{}'::jsonb
                     or exists (select from ingest.snapshot_seen s where s.job_id = p_job_id));
    if not v_resume then
        delete from ingest.snapshot_failures f where f.shop_id = v_job.shop_id and f.job_id = p_job_id;
        delete from ingest.snapshot_seen s where s.job_id = p_job_id;
    end if;

    update ingest.snapshot_jobs j
    set status = 'requested', last_attempt_at = now(), started_at = now(), finished_at = null, last_error = null,
        downloads = 0, updated_at = now(),
        processed_count = case when v_resume then j.processed_count else 0 end,
        failed_count = case when v_resume then j.failed_count else 0 end,
        warning_count = case when v_resume then j.warning_count else 0 end,
        resume_after_line = case when v_resume then j.resume_after_line else 0 end,
        total_count = case when v_resume then j.total_count end,
        total_is_estimate = true,
        bytes_downloaded = case when v_resume then j.bytes_downloaded else 0 end,
        progress_percentage = case when v_resume then j.progress_percentage else 0 end,
        rows_per_second = null
    where j.shop_id = v_job.shop_id and j.id = p_job_id;

    return query select case when v_reuse then v_job.result_url end,
                        case when v_resume then v_job.resume_after_line else 0::bigint end,
                        case when v_reuse then v_job.result_valid_until end;
end
$$;

comment on function ingest.snapshot_job_start(bigint, interval) is
    'Begin an attempt of a snapshot import: the still-valid result_url to reuse (or null: request a new snapshot) '
    'and the line to resume after (0: read it all); clears the previous attempt unless it resumes';
