-- Queries of the dumps (runner/backup.py): `hub backup run | list | verify | restore | prune`,
-- `hub db backup` and the daily backup job.

-- name: start
insert into ops.backups (path) values (%(path)s) returning backup_id;

-- name: done
-- complete, checksummed, its table of contents read back; verified only by `hub backup verify`
update ops.backups
set status = 'completed', finished_at = now(), size_bytes = %(size_bytes)s, sha256 = %(sha256)s,
    manifest = %(manifest)s::jsonb, verified = false
where backup_id = %(backup_id)s;

-- name: failed
update ops.backups set status = 'failed', finished_at = now(), error = %(error)s where backup_id = %(backup_id)s;

-- name: snapshot
-- run first in the dump's repeatable-read transaction: the snapshot pg_dump imports (--snapshot),
-- and what the manifest says of the server and the schema
select pg_export_snapshot(), current_setting('server_version'), current_database(),
       pg_database_size(current_database()),
       (select max(m.migration_id) from public._yoyo_migration m) as last_migration;

-- name: table_row_counts
-- every ordinary table (partitions are counted as themselves, never through their parent) with
-- its row count in the current snapshot; one statement, the counts by query_to_xml (no '%'
-- here: the query runs without parameters)
select n.nspname || '.' || c.relname as table_name,
       (xpath('/row/n/text()',
              query_to_xml('select count(*) as n from ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                           false, true, '')
       ))[1]::text::bigint as row_count
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r'
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp)'
order by 1;

-- name: get
select backup_id, path, status, removed_at, sha256, manifest from ops.backups where backup_id = %(backup_id)s;

-- name: by_path
select backup_id, path, status, removed_at, sha256, manifest
from ops.backups
where path = %(path)s
order by backup_id desc
limit 1;

-- name: newest_completed
-- `hub backup verify` without an id: the newest completed backup whose file was not pruned
select backup_id, path, status, removed_at, sha256, manifest
from ops.backups
where status = 'completed' and removed_at is null
order by started_at desc, backup_id desc
limit 1;

-- name: verify_recorded
update ops.backups
set verified = %(ok)s, verify_status = case when %(ok)s then 'ok' else 'failed' end,
    verified_at = now(), verify_error = %(error)s
where backup_id = %(backup_id)s;

-- name: database_exists
select 1 from pg_database where datname = %(dbname)s;

-- name: create_database
-- the name (the placeholder) is formatted with psycopg.sql.Identifier; template0: nothing but the dump
create database {} template template0;

-- name: drop_database
-- the name (the placeholder) is formatted with psycopg.sql.Identifier; sessions in it are ended
drop database if exists {} with (force);

-- name: prunable
-- completed backups whose files are still there, older than keep_days, beyond the newest keep,
-- and not the newest verified one
with present as (
    select b.backup_id, b.path, b.started_at, b.verified,
           row_number() over (order by b.started_at desc, b.backup_id desc) as newest_first
    from ops.backups b
    where b.status = 'completed' and b.removed_at is null
), newest_verified as (
    select p.backup_id from present p where p.verified order by p.newest_first limit 1
)
select p.backup_id, p.path
from present p
where p.newest_first > %(keep)s
  and p.started_at < now() - make_interval(days => %(keep_days)s)
  and p.backup_id not in (select v.backup_id from newest_verified v)
order by p.started_at, p.backup_id;

-- name: removed
update ops.backups set removed_at = now() where backup_id = %(backup_id)s;

-- name: list
select b.backup_id, b.started_at, b.finished_at, b.status, b.size_bytes,
       (b.manifest ->> 'total_rows')::bigint as total_rows, b.verified, b.verify_status, b.verified_at,
       coalesce(b.error, b.verify_error) as error, b.path, b.removed_at
from ops.backups b
order by b.started_at desc, b.backup_id desc
limit %(limit)s;

-- name: status
select * from ops.backup_status;
