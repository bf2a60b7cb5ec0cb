-- Queries of point-in-time recovery with pgBackRest (runner/pitr.py).

-- name: run_start
insert into ops.pgbackrest_runs (kind) values (%(kind)s) returning run_id;

-- name: run_done
update ops.pgbackrest_runs
set status = 'completed', finished_at = now(), label = %(label)s, details = %(details)s::jsonb
where run_id = %(run_id)s;

-- name: run_failed
update ops.pgbackrest_runs set status = 'failed', finished_at = now(), error = %(error)s where run_id = %(run_id)s;

-- name: recovery_state
-- on a restored copy: still replaying WAL?, and the commit time of the last transaction it replayed
select pg_is_in_recovery(), pg_last_xact_replay_timestamp();

