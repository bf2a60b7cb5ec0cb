-- Incremental sync skips or works around odd change-list entries (issue 11, item 4): a change
-- without changeTime, an unknown changeType, an entry without a key, a document that cannot be
-- applied. The latest run's warnings are kept next to its error, where an operator looks.

alter table ingest.sync_cursors add column last_warnings text;

comment on column ingest.sync_cursors.last_warnings is
    'Odd change-list entries the latest sync run worked around or skipped (each also a WARNING log line '
    'naming shop, entity and key); null when there were none';

-- ingest.sync_cursor_finish gains p_warnings (db/functions/ingest/sync_cursor_finish.sql); the
-- three-argument form it replaces goes (on a fresh database it does not exist yet: functions load
-- after the migrations), so a call is never ambiguous
drop function if exists ingest.sync_cursor_finish(bigint, text, text);
