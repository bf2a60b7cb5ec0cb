/*
 * ingest.webhook_drain_lock_key(p_shop_id, p_entity): the advisory lock that closes the one gap
 * between webhook_accept and a drain that is about to end. An accept holds it shared for its
 * transaction (from before it looks for a waiting drain job until its keys are committed); a
 * drain's last look at ingest.webhook_pending (ingest.webhook_claim with p_final) holds it
 * exclusively, so it sees the keys of every accept that may have counted on this drain job.
 * Key: hashtextextended('hub.drain:<shop_id>:<entity>', 0).
 */
create or replace function ingest.webhook_drain_lock_key(p_shop_id bigint, p_entity text)
returns bigint
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    select hashtextextended('hub.drain:' || p_shop_id || ':' || p_entity, 0)
$$;

comment on function ingest.webhook_drain_lock_key(bigint, text) is
    'Advisory lock key shared by webhook_accept (shared) and a drain''s last claim (exclusive) of a shop''s entity';
