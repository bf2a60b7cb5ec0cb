/*
 * ingest.webhook_accept(...): store one verified webhook delivery and defer its job(s), in the
 * caller's transaction. A repeated delivery (same shop, event, instance, created) changes nothing
 * and returns created = false with the first delivery's jobs. Mass events (eventInstance = a
 * JSON list of ids) fan out to one job per id. Each job has queueing_lock
 * 'shop:<id>:<kind>:<key>', so an id already waiting in the queue (e.g. the single event Shoptet
 * sends next to a mass event) reuses that job instead of a second fetch; and lock
 * 'shop:<id>:<entity>', so the jobs of one shop and entity run one at a time.
 */
create or replace function ingest.webhook_accept(
    p_shop_id bigint,
    p_event text,
    p_event_instance text,
    p_event_created timestamptz,
    p_payload jsonb default null
)
returns table (event_id bigint, created boolean, job_ids bigint[])
language plpgsql
set search_path = pg_catalog, procrastinate
as $$
declare
    v_event_id bigint;
    v_route record;
    v_keys text[];
    v_jobs procrastinate_job_to_defer_v1[];
    v_job procrastinate_job_to_defer_v1;
    v_ids bigint[] := '{}';
    v_id bigint;
begin
    insert into ingest.webhook_events as e (shop_id, event, event_instance, event_created, payload)
    values (p_shop_id, p_event, p_event_instance, p_event_created, p_payload)
    on conflict on constraint webhook_events_delivery_unique do nothing
    returning e.event_id into v_event_id;

    if v_event_id is null then
        return query
            select e.event_id, false, e.job_ids
            from ingest.webhook_events e
            where e.shop_id = p_shop_id and e.event = p_event
              and e.event_instance = p_event_instance and e.event_created = p_event_created;
        return;
    end if;

    select * into v_route from ingest.webhook_route(p_event);
    if v_route.task_name is null then
        update ingest.webhook_events e set status = 'ignored', processed_at = now() where e.event_id = v_event_id;
        return query select v_event_id, true, '{}'::bigint[];
        return;
    end if;

    if v_route.key_kind is null then
        v_keys := array[null::text];
    elsif split_part(p_event, ':', 2) like 'mass%' then
        begin
            select array_agg(distinct k.key order by k.key) into v_keys
            from jsonb_array_elements_text(p_event_instance::jsonb) as k (key);
        exception when invalid_text_representation or invalid_parameter_value then
            raise exception 'webhook %: eventInstance of a mass event must be a JSON list of ids, got %',
                p_event, left(p_event_instance, 80) using errcode = '22023';
        end;
        v_keys := coalesce(v_keys, '{}');
    else
        v_keys := array[p_event_instance];
    end if;

    select array_agg(row(
            v_route.queue_name, v_route.task_name, 0,
            format('shop:%s:%s', p_shop_id, v_route.entity),
            case when v_route.key_kind is not null then format('shop:%s:%s:%s', p_shop_id, v_route.key_kind, k.key) end,
            case v_route.key_kind
                when 'order' then jsonb_build_object('shop_id', p_shop_id, 'code', k.key)
                when 'customer' then jsonb_build_object('shop_id', p_shop_id, 'guid', k.key)
                when 'product' then jsonb_build_object('shop_id', p_shop_id, 'guid', k.key)
                when 'variant' then jsonb_build_object('shop_id', p_shop_id, 'variant_code', k.key)
                else jsonb_build_object('event_id', v_event_id)
            end,
            null)::procrastinate_job_to_defer_v1)
    into v_jobs
    from unnest(v_keys) as k (key);

    -- one job per key: an identical job already waiting (same queueing lock) is reused
    foreach v_job in array coalesce(v_jobs, '{}') loop
        v_id := null;
        if v_job.queueing_lock is not null then
            select j.id into v_id from procrastinate_jobs j
            where j.queueing_lock = v_job.queueing_lock and j.status = 'todo';
        end if;
        if v_id is null then
            begin
                v_id := (procrastinate_defer_jobs_v1(array[v_job]))[1];
            exception when unique_violation then
                -- a concurrent delivery queued the same work a moment ago
                select j.id into v_id from procrastinate_jobs j
                where j.queueing_lock = v_job.queueing_lock and j.status = 'todo';
            end;
        end if;
        if v_id is not null then
            v_ids := v_ids || v_id;
        end if;
    end loop;

    update ingest.webhook_events e set job_ids = v_ids where e.event_id = v_event_id;
    return query select v_event_id, true, v_ids;
end
$$;

comment on function ingest.webhook_accept(bigint, text, text, timestamptz, jsonb) is
    'Store a verified webhook delivery (duplicates ignored) and defer its job(s) in the same transaction';
