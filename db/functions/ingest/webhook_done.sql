/*
 * ingest.webhook_done(p_shop_id, p_entity, p_kinds, p_keys, p_seqs): called in the transaction
 * that applied fetched keys (the drain's, or a sync batch's): removes their ingest.webhook_pending
 * rows whose seq is still the one read before the fetch -- a row whose seq moved was named by an
 * event during the fetch and stays for the next one -- and marks done every queued event of those
 * rows that no remaining row names. The three arrays run in parallel (one entry per key).
 * Returns the number of events marked done.
 */
create or replace function ingest.webhook_done(
    p_shop_id bigint,
    p_entity text,
    p_kinds text[],
    p_keys text[],
    p_seqs bigint[]
)
returns integer
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_events bigint[];
    v_done integer;
begin
    with cleared as (
        delete from ingest.webhook_pending p
        using unnest(p_kinds, p_keys, p_seqs) as x (kind, key, seq)
        where p.shop_id = p_shop_id and p.entity = p_entity
          and p.key_kind = x.kind and p.key = x.key and p.seq = x.seq
        returning p.event_ids
    )
    select coalesce(array_agg(distinct e.id), '{}') into v_events
    from cleared c, unnest(c.event_ids) as e (id);

    if cardinality(v_events) = 0 then
        return 0;
    end if;
    -- a second statement: it no longer sees the rows just removed
    update ingest.webhook_events e
    set status = 'done', processed_at = now()
    where e.event_id = any (v_events) and e.status = 'queued'
      and not exists (select from ingest.webhook_pending p where p.event_ids @> array[e.event_id]);
    get diagnostics v_done = row_count;
    return v_done;
end
$$;

comment on function ingest.webhook_done(bigint, text, text[], text[], bigint[]) is
    'Remove applied keys from ingest.webhook_pending (unless an event came during their fetch) and mark done '
    'the events no waiting key names; returns events done';
