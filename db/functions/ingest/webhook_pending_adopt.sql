/*
 * ingest.webhook_pending_adopt(p_job_id, p_shop_id, p_entity, p_kind, p_key): a job queued
 * before the drains (fetch_order / fetch_customer / fetch_product, one job per key) hands its key
 * to ingest.webhook_pending, with the queued events that count on the job, so that the drain
 * fetches and completes it like any other. Returns the key's seq.
 */
create or replace function ingest.webhook_pending_adopt(
    p_job_id bigint,
    p_shop_id bigint,
    p_entity text,
    p_kind text,
    p_key text
)
returns bigint
language sql
set search_path = pg_catalog
as $$
    insert into ingest.webhook_pending as p (shop_id, entity, key_kind, key, seq, event_ids)
    values (p_shop_id, p_entity, p_kind, ingest.webhook_key(p_kind, p_key), nextval('ingest.webhook_pending_seq'),
            coalesce((select array_agg(e.event_id order by e.event_id) from ingest.webhook_events e
                      where e.job_ids @> array[p_job_id] and e.status = 'queued'), '{}'))
    on conflict (shop_id, entity, key_kind, key) do update
        set seq = excluded.seq, event_ids = p.event_ids || excluded.event_ids, last_event_at = now(),
            attempts = 0, last_error = null, failed_at = null
    returning p.seq;
$$;

comment on function ingest.webhook_pending_adopt(bigint, bigint, text, text, text) is
    'Hand the key of a pre-drain fetch job (and its queued events) to ingest.webhook_pending; returns its seq';
