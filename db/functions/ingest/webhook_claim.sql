/*
 * ingest.webhook_claim(p_shop_id, p_entity, p_limit, p_exclude_kinds, p_exclude_keys, p_final):
 * the next keys a drain of the shop's entity fetches: up to p_limit rows of ingest.webhook_pending,
 * oldest first (queued_at), without those the drain gave up on (failed_at) and without the
 * (key_kind, key) pairs of the two parallel arrays p_exclude_* (keys in flight, keys that failed
 * in this run). Each row comes with its seq: ingest.webhook_done removes it only if no event
 * came since. Nothing is locked: one drain at a time serves a shop's entity (its job lock).
 *
 * p_final: the drain's last look before it ends. It first takes ingest.webhook_drain_lock_key
 * exclusively (for the rest of the caller's transaction), so every webhook_accept that may have
 * found this drain job still waiting has committed its keys, and they are seen here; an accept
 * that comes later finds the job running and defers a new one.
 */
create or replace function ingest.webhook_claim(
    p_shop_id bigint,
    p_entity text,
    p_limit integer,
    p_exclude_kinds text[] default '{}',
    p_exclude_keys text[] default '{}',
    p_final boolean default false
)
returns table (key_kind text, key text, seq bigint)
language plpgsql
set search_path = pg_catalog
as $$
begin
    if p_final then
        perform pg_advisory_xact_lock(ingest.webhook_drain_lock_key(p_shop_id, p_entity));
    end if;
    -- a new statement, so a new snapshot: it sees what the accepts committed before the lock
    return query
        select p.key_kind, p.key, p.seq
        from ingest.webhook_pending p
        where p.shop_id = p_shop_id and p.entity = p_entity and p.failed_at is null
          and not exists (select from unnest(p_exclude_kinds, p_exclude_keys) as x (kind, key)
                          where x.kind = p.key_kind and x.key = p.key)
        order by p.queued_at, p.key_kind, p.key
        limit p_limit;
end
$$;

comment on function ingest.webhook_claim(bigint, text, integer, text[], text[], boolean) is
    'Next waiting webhook keys (key_kind, key, seq) of a shop''s entity for its drain, oldest first; '
    'p_final: after every accept that may count on this drain has committed';
