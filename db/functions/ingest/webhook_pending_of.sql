/*
 * ingest.webhook_pending_of(p_shop_id, p_entity, p_kind, p_keys): the waiting webhook keys among
 * p_keys (as a change list names them; GUIDs through ingest.webhook_key), with their seq. A sync
 * batch reads them before it fetches, and passes those it applied to ingest.webhook_done, so that
 * the drain does not fetch them again. Keys the drain gave up on are included: the sync's fetch
 * is a new attempt.
 */
create or replace function ingest.webhook_pending_of(p_shop_id bigint, p_entity text, p_kind text, p_keys text[])
returns table (key_kind text, key text, seq bigint)
language sql
stable
set search_path = pg_catalog
as $$
    select p.key_kind, p.key, p.seq
    from ingest.webhook_pending p
    where p.shop_id = p_shop_id and p.entity = p_entity and p.key_kind = p_kind
      and p.key = any (select ingest.webhook_key(p_kind, k) from unnest(p_keys) as k);
$$;

comment on function ingest.webhook_pending_of(bigint, text, text, text[]) is
    'Waiting webhook keys (with seq) among the keys a sync batch is about to fetch';
