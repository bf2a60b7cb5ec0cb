-- Queries of `hub db maintain` (runner/maintain.py) and the hourly maintenance task (runner/tasks.py).

-- name: run_maintenance
select ops.run_maintenance();

-- name: backup_start
insert into ops.backups (path) values (%(path)s) returning backup_id;

-- name: backup_done
update ops.backups set status = 'completed', finished_at = now(), size_bytes = %(size_bytes)s, verified = true
where backup_id = %(backup_id)s;

-- name: backup_failed
update ops.backups set status = 'failed', finished_at = now(), error = %(error)s where backup_id = %(backup_id)s;

-- name: backups_beyond_keep
-- completed backups older than the newest N, whose files are still there
select backup_id, path from ops.backups
where status = 'completed' and removed_at is null
order by started_at desc, backup_id desc
offset %(keep)s;

-- name: backup_removed
update ops.backups set removed_at = now() where backup_id = %(backup_id)s;
