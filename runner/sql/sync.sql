-- Queries of runner/shoptet/sync.py and runner/shoptet/reconcile.py; the cursor rules live in
-- the ingest.sync_cursor_* functions.

-- name: sync_cursor_start
select cursor_at, origin from ingest.sync_cursor_start(%(shop_id)s, %(entity)s);

-- name: sync_cursor_move
select ingest.sync_cursor_move(%(shop_id)s, %(entity)s, %(cursor_at)s);

-- name: sync_cursor_finish
-- synced_until: the start of a run that read the change list to its end; null for a failed run
select ingest.sync_cursor_finish(%(shop_id)s, %(entity)s, %(error)s, %(warnings)s, %(synced_until)s);

-- name: sync_try_lock
-- one sync of a shop's entity at a time, across workers and `hub sync` (session lock, no transaction held)
select pg_try_advisory_lock(hashtextextended('hub.sync:' || %(shop_id)s::bigint || ':' || %(entity)s::text, 0));

-- name: sync_unlock
select pg_advisory_unlock(hashtextextended('hub.sync:' || %(shop_id)s::bigint || ':' || %(entity)s::text, 0));

-- name: sync_snapshot_started
select started_at from ingest.snapshot_jobs where id = %(job_id)s;

-- name: webhook_pending_of
-- webhook keys waiting for entities of a batch (read under the write lock, before the fetch)
select key_kind, key, seq from ingest.webhook_pending_of(%(shop_id)s, %(entity)s, %(kind)s, %(keys)s);

-- name: webhook_done
-- the batch applied them: their waiting rows go, their events are done (unless named again meanwhile)
select ingest.webhook_done(%(shop_id)s, %(entity)s, %(kinds)s, %(keys)s, %(seqs)s);

-- name: sync_versions_held
-- keys of change-list entries dated in the future whose version the hub holds already
select ingest.sync_versions_held(%(shop_id)s, %(entity)s, %(keys)s::text[], %(times)s::timestamptz[]);
