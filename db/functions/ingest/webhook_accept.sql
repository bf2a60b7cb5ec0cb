/*
 * ingest.webhook_accept(...): store one verified webhook delivery and queue its work, in the
 * caller's transaction. A repeated delivery (same shop, event, instance, created) changes nothing
 * and returns created = false with the first delivery's jobs.
 *
 * Entity events (orders, customers, products; ingest.webhook_route) put their key(s) into
 * ingest.webhook_pending -- a mass event (eventInstance = a JSON list of ids) every id of it -- and
 * hand them to the drain that is open for the shop's entity (ingest.webhook_drains, its job
 * running), else to a waiting or new drain job (ingest.webhook_drain_defer): a key that already
 * waits stays one row (one fetch serves every event that named it; its seq is bumped, so a fetch
 * already under way does not count for this event), and a burst of events shares one drain job,
 * which fetches and applies the keys in batches. A mass event with no ids is done at once. The
 * accept holds ingest.webhook_drain_lock_key shared until it commits, so that a drain closing at
 * this moment sees these keys (see ingest.webhook_claim).
 *
 * Other routed events (job:finished, addon:*) get one job each (task process_webhook_event). An
 * event without a route is stored as ignored. Returns the event id, whether it is new, and the
 * ids of the jobs that carry it out (also kept in ingest.webhook_events.job_ids).
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
    v_ids bigint[] := '{}';
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
        -- not an entity: one job for the event
        v_ids := procrastinate_defer_jobs_v1(array[row(
            v_route.queue_name, v_route.task_name, 0, format('shop:%s:%s', p_shop_id, v_route.entity), null,
            jsonb_build_object('event_id', v_event_id), null)::procrastinate_job_to_defer_v1]);
        update ingest.webhook_events e set job_ids = v_ids where e.event_id = v_event_id;
        return query select v_event_id, true, v_ids;
        return;
    end if;

    if split_part(p_event, ':', 2) like 'mass%' then
        begin
            select array_agg(distinct ingest.webhook_key(v_route.key_kind, k.key)
                             order by ingest.webhook_key(v_route.key_kind, k.key))
            into v_keys
            from jsonb_array_elements_text(p_event_instance::jsonb) as k (key)
            where k.key <> '';
        exception when invalid_text_representation or invalid_parameter_value then
            raise exception 'webhook %: eventInstance of a mass event must be a JSON list of ids, got %',
                p_event, left(p_event_instance, 80) using errcode = '22023';
        end;
        v_keys := coalesce(v_keys, '{}');
    else
        v_keys := array[ingest.webhook_key(v_route.key_kind, p_event_instance)];
    end if;

    if cardinality(v_keys) = 0 then
        update ingest.webhook_events e set status = 'done', processed_at = now() where e.event_id = v_event_id;
        return query select v_event_id, true, '{}'::bigint[];
        return;
    end if;

    perform pg_advisory_xact_lock_shared(ingest.webhook_drain_lock_key(p_shop_id, v_route.entity));
    -- keys in sorted order: concurrent mass events lock the rows they share in the same order
    insert into ingest.webhook_pending as p (shop_id, entity, key_kind, key, seq, event_ids)
    select p_shop_id, v_route.entity, v_route.key_kind, k.key, nextval('ingest.webhook_pending_seq'),
           array[v_event_id]
    from unnest(v_keys) as k (key)
    order by k.key
    on conflict (shop_id, entity, key_kind, key) do update
        set seq = excluded.seq, event_ids = p.event_ids || excluded.event_ids, last_event_at = now(),
            attempts = 0, last_error = null, failed_at = null;

    -- the open drain takes them (its last look comes after this commit), else a waiting or new one
    select array[d.job_id] into v_ids
    from ingest.webhook_drains d
    join procrastinate_jobs j on j.id = d.job_id and j.status = 'doing'
    where d.shop_id = p_shop_id and d.entity = v_route.entity;
    if v_ids is null then
        v_ids := array[ingest.webhook_drain_defer(p_shop_id, v_route.entity)];
    end if;
    update ingest.webhook_events e set job_ids = v_ids where e.event_id = v_event_id;
    return query select v_event_id, true, v_ids;
end
$$;

comment on function ingest.webhook_accept(bigint, text, text, timestamptz, jsonb) is
    'Store a verified webhook delivery (duplicates ignored): its entity keys into ingest.webhook_pending with '
    'the shop''s drain job, or one job for other events, in the same transaction';
