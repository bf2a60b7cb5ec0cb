-- Queries of housekeeping (runner/housekeeping.py: `hub db housekeeping` and the daily task).

-- name: settings
-- the ages and batch size in force (raises 22023 naming a bad housekeeping.* setting)
select to_jsonb(s) from ops.housekeeping_settings() s;

-- name: kinds
select ops.housekeeping_kinds();

-- name: try_lock
-- one housekeeping at a time (a session lock: the batches commit one by one)
select pg_try_advisory_lock(hashtext('ops.housekeeping'));

-- name: unlock
select pg_advisory_unlock(hashtext('ops.housekeeping'));

-- name: batch
-- one batch of one kind: at most %(limit)s rows (null: all); one row per table touched
select what, deleted from ops.housekeeping_batch(%(kind)s, %(limit)s, %(dry_run)s);

-- name: log_run
select ops.log_event('info', 'ops.housekeeping', %(message)s, %(context)s);
