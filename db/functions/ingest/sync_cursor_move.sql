/*
 * ingest.sync_cursor_move(p_shop_id, p_entity, p_cursor_at): move a shop's sync cursor forward
 * (never back), in the caller's transaction -- the one that applies the data it covers, and
 * never past now(): a change dated in the future (a mistyped year) must not make every later
 * change look old (the next run reads from the cursor minus an overlap). A cursor stored in the
 * future by an earlier version comes back to now() with the next move. Returns the cursor now
 * stored.
 */
create or replace function ingest.sync_cursor_move(p_shop_id bigint, p_entity text, p_cursor_at timestamptz)
returns timestamptz
language sql
set search_path = pg_catalog
as $$
    insert into ingest.sync_cursors as c (shop_id, entity, cursor_at)
    values (p_shop_id, p_entity, least(p_cursor_at, now()))
    on conflict (shop_id, entity) do update
        set cursor_at = least(greatest(c.cursor_at, excluded.cursor_at), now()), updated_at = now()
    returning c.cursor_at;
$$;

comment on function ingest.sync_cursor_move(bigint, text, timestamptz) is
    'Move the incremental-sync cursor of a shop''s entity forward (never back, never past now()), with the data it covers';
