/*
 * ingest.webhook_drain_defer(p_shop_id, p_entity, p_scheduled_at): a drain job of a shop's
 * entity that will take its waiting webhook keys (ingest.webhook_pending): the one already
 * waiting (status todo, queueing_lock 'webhooks:<shop_id>:<entity>') or a new one, deferred on
 * queue webhooks as task drain_webhooks(shop_id, entity). It has no procrastinate lock: drains,
 * syncs and snapshot imports of a shop's entity take turns on its write lock
 * (runner/shoptet/entity_lock.py), so a drain deferred while another ends is taken by a worker at
 * once instead of waiting for a poll. p_scheduled_at: not before then (null: now); a job already
 * waiting is reused as it is. Returns the job id. Runs in the caller's transaction.
 */
create or replace function ingest.webhook_drain_defer(
    p_shop_id bigint,
    p_entity text,
    p_scheduled_at timestamptz default null
)
returns bigint
language plpgsql
set search_path = pg_catalog, procrastinate
as $$
declare
    v_queueing_lock text := format('webhooks:%s:%s', p_shop_id, p_entity);
    v_id bigint;
    v_try integer;
begin
    if p_entity not in ('orders', 'customers', 'products') then
        raise exception 'ingest.webhook_drain_defer: unknown entity %, expected orders, customers or products', p_entity
            using errcode = '22023';
    end if;
    -- a concurrent transaction may defer it first (unique index on queueing_lock of todo jobs), and
    -- that job may start before we look again: then defer once more
    for v_try in 1 .. 3 loop
        select j.id into v_id from procrastinate_jobs j where j.queueing_lock = v_queueing_lock and j.status = 'todo';
        exit when v_id is not null;
        begin
            v_id := (procrastinate_defer_jobs_v1(array[row(
                'webhooks', 'drain_webhooks', 0, null, v_queueing_lock,
                jsonb_build_object('shop_id', p_shop_id, 'entity', p_entity), p_scheduled_at
            )::procrastinate_job_to_defer_v1]))[1];
        exception when unique_violation then
            v_id := null;
        end;
        exit when v_id is not null;
    end loop;
    return v_id;
end
$$;

comment on function ingest.webhook_drain_defer(bigint, text, timestamptz) is
    'The waiting drain job (drain_webhooks) of a shop''s entity, deferred when none waits; returns its id';
