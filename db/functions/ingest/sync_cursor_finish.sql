/*
 * ingest.sync_cursor_finish(p_shop_id, p_entity, p_error, p_warnings, p_synced_until): record the
 * end of a sync run: last_run_at = now(); last_error = p_error (null after a clean run);
 * last_warnings = p_warnings (odd change-list entries worked around or skipped; null when none);
 * synced_until = p_synced_until when given (the run read the change list to its end: when it
 * started; never moved back), kept as it was when null (the run failed). The cursor is untouched.
 */
create or replace function ingest.sync_cursor_finish(p_shop_id bigint, p_entity text, p_error text default null,
                                                     p_warnings text default null,
                                                     p_synced_until timestamptz default null)
returns void
language sql
set search_path = pg_catalog
as $$
    insert into ingest.sync_cursors as c (shop_id, entity, last_run_at, last_error, last_warnings, synced_until)
    values (p_shop_id, p_entity, now(), p_error, left(p_warnings, 4000), p_synced_until)
    on conflict (shop_id, entity) do update
        set last_run_at = now(), last_error = excluded.last_error, last_warnings = excluded.last_warnings,
            synced_until = greatest(c.synced_until, excluded.synced_until), updated_at = now();
$$;

comment on function ingest.sync_cursor_finish(bigint, text, text, text, timestamptz) is
    'Record that a sync run of a shop''s entity ended: last_run_at now, last_error (null when it went well), '
    'last_warnings (odd change-list entries, null when none), synced_until (the start of a run that read '
    'the change list to its end; null: unchanged)';
