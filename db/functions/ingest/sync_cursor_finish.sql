/*
 * ingest.sync_cursor_finish(p_shop_id, p_entity, p_error): record the end of a sync run:
 * last_run_at = now(); last_error = p_error (null after a clean run). The cursor is untouched.
 */
create or replace function ingest.sync_cursor_finish(p_shop_id bigint, p_entity text, p_error text default null)
returns void
language sql
set search_path = pg_catalog
as $$
    insert into ingest.sync_cursors as c (shop_id, entity, last_run_at, last_error)
    values (p_shop_id, p_entity, now(), p_error)
    on conflict (shop_id, entity) do update
        set last_run_at = now(), last_error = excluded.last_error, updated_at = now();
$$;

comment on function ingest.sync_cursor_finish(bigint, text, text) is
    'Record that a sync run of a shop''s entity ended: last_run_at now, last_error (null when it went well)';
