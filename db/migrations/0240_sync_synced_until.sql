-- Newcomer finding 15a: the overview's sync lag never showed below 10 minutes. It was now() - the
-- sync cursor, and a run leaves the cursor at its start minus the 10-minute overlap (the next run
-- reads from there again). What the data really is: every change Shoptet listed before a run
-- started has been read by it. ingest.sync_cursor_finish records that moment of each run that
-- read the change list to its end; ops.sync_lag counts the lag from it (or from the newest full
-- snapshot import's start, when that is later), and says which.
--
-- Rows of runs before this migration have none: ops.sync_lag falls back to the cursor for them
-- (saying so) until their next run; no value is guessed for them.

alter table ingest.sync_cursors add column synced_until timestamptz;

comment on column ingest.sync_cursors.synced_until is
    'When the last sync run that read the change list to its end started: every change Shoptet listed '
    'before it has been read (applied, or skipped and named in last_error); null before the first such run';

-- ingest.sync_cursor_finish gains p_synced_until (db/functions/ingest/sync_cursor_finish.sql); the
-- four-argument form it replaces goes, so a call is never ambiguous
drop function if exists ingest.sync_cursor_finish(bigint, text, text, text);
