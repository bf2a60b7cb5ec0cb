/*
 * ingest.snapshot_job_finish(p_job_id, p_total): the whole file of a snapshot import is applied.
 * Status completed, or completed_with_errors when lines went to ingest.snapshot_failures as
 * errors (field-level warnings do not count: their lines were imported). For a full snapshot
 * (no filters) without bad lines, entities the shop has in the hub but the file did not contain
 * were deleted at the source: they are soft-deleted. Customers and products are compared as
 * uuids: the importer records each line's key normalised (normalize_guid, the Python twin of
 * core.normalize_guid; a key that is not a GUID is a bad line and never recorded), so a GUID
 * sent in upper case or with spaces matches its stored row (comparing uuids is also twice as
 * fast as text). Returns jsonb with the status, bad lines, warnings and the number of rows
 * marked deleted.
 */
create or replace function ingest.snapshot_job_finish(p_job_id bigint, p_total bigint)
returns jsonb
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_job ingest.snapshot_jobs;
    v_failed bigint;
    v_warnings bigint;
    v_deleted integer := 0;
    v_status text;
    v_gone text[];
begin
    select * into v_job from ingest.snapshot_jobs where id = p_job_id for update;
    if not found then
        raise exception 'snapshot job % does not exist', p_job_id using errcode = 'P0002';
    end if;
    select count(*) filter (where f.severity = 'error'), count(*) filter (where f.severity = 'warning')
    into v_failed, v_warnings
    from ingest.snapshot_failures f where f.shop_id = v_job.shop_id and f.job_id = p_job_id;
    v_status := case when v_failed > 0 then 'completed_with_errors' else 'completed' end;

    if v_failed = 0 and v_job.filters = '{}'::jsonb then
        -- set difference (hashed or sorted, never a nested loop whatever the statistics of the
        -- freshly filled snapshot_seen say)
        if v_job.entity = 'orders' then
            select array_agg(k) into v_gone from (
                select o.code as k from sales.orders o where o.shop_id = v_job.shop_id and o.deleted_at is null
                except
                select s.key from ingest.snapshot_seen s where s.job_id = p_job_id) gone;
        elsif v_job.entity = 'customers' then
            select array_agg(k::text) into v_gone from (
                select c.guid as k from sales.customers c where c.shop_id = v_job.shop_id and c.deleted_at is null
                except
                select s.key::uuid from ingest.snapshot_seen s where s.job_id = p_job_id) gone;
        else
            select array_agg(k::text) into v_gone from (
                select p.guid as k from catalog.products p where p.shop_id = v_job.shop_id and p.deleted_at is null
                except
                select s.key::uuid from ingest.snapshot_seen s where s.job_id = p_job_id) gone;
        end if;
        if v_gone is not null then
            v_deleted := ingest.mark_deleted(v_job.shop_id, v_job.entity, v_gone);
        end if;
    end if;
    delete from ingest.snapshot_seen where job_id = p_job_id;

    update ingest.snapshot_jobs
    set status = v_status, failed_count = v_failed, warning_count = greatest(warning_count, v_warnings),
        total_count = p_total, total_is_estimate = false,
        processed_count = p_total, progress_percentage = 100, finished_at = now(), updated_at = now(),
        last_error = case when v_failed > 0 then format('%s bad line(s): see ingest.snapshot_failures', v_failed) end
    where id = p_job_id
    returning warning_count into v_warnings;
    return jsonb_build_object('status', v_status, 'failed', v_failed, 'warnings', v_warnings, 'deleted', v_deleted);
end
$$;

comment on function ingest.snapshot_job_finish(bigint, bigint) is
    'Close a fully applied snapshot import: completed or completed_with_errors (bad lines; warnings do not count); a clean full snapshot soft-deletes what it no longer contains';
