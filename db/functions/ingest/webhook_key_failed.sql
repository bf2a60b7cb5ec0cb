/*
 * ingest.webhook_key_failed(p_shop_id, p_entity, p_kind, p_key, p_seq, p_error, p_give_up,
 * p_max_attempts): a drain could not apply a waiting key: one more attempt, and why, on its
 * ingest.webhook_pending row -- unless an event named it again during the fetch (seq moved: the
 * next fetch is a fresh start, nothing is counted). The drain gives up on the key (failed_at) when
 * p_give_up (Shoptet refuses the key, or its document cannot be applied) or when this was attempt
 * p_max_attempts: drains skip it until a new event names it, and its events show in
 * ingest.webhook_events_failed. Returns (attempts, gave_up); no row when the seq moved.
 */
create or replace function ingest.webhook_key_failed(
    p_shop_id bigint,
    p_entity text,
    p_kind text,
    p_key text,
    p_seq bigint,
    p_error text,
    p_give_up boolean default false,
    p_max_attempts integer default 5
)
returns table (attempts integer, gave_up boolean)
language sql
set search_path = pg_catalog
as $$
    update ingest.webhook_pending p
    set attempts = p.attempts + 1,
        last_error = left(p_error, 2000),
        failed_at = case when p_give_up or p.attempts + 1 >= p_max_attempts then now() end
    where p.shop_id = p_shop_id and p.entity = p_entity and p.key_kind = p_kind and p.key = p_key
      and p.seq = p_seq
    returning p.attempts, p.failed_at is not null;
$$;

comment on function ingest.webhook_key_failed(bigint, text, text, text, bigint, text, boolean, integer) is
    'Count a failed fetch or apply of a waiting webhook key; given up (failed_at) when hopeless or at '
    'p_max_attempts; returns (attempts, gave_up)';
