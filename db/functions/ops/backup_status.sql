/*
 * ops.backup_status: monitoring — one row saying how safe the data is: the newest completed dump
 * and whether a restore proved it (ops.backups), the pgBackRest backups and verify of the
 * embedded cluster (ops.pgbackrest_runs), WAL archiving (pg_stat_archiver), and `problems`, the
 * list of what needs an operator (empty when all is well). Read by `hub backup list`.
 */
create or replace view ops.backup_status as
with last_dump as (
    select b.backup_id, b.finished_at, b.verified, b.verify_status, b.verify_error, b.verified_at, b.started_at
    from ops.backups b
    where b.status = 'completed'
    order by b.started_at desc, b.backup_id desc
    limit 1
), last_dump_run as (
    select b.status, b.error, b.started_at
    from ops.backups b
    where b.status <> 'running'
    order by b.started_at desc, b.backup_id desc
    limit 1
), last_verified as (
    select max(b.finished_at) as finished_at
    from ops.backups b
    where b.status = 'completed' and b.verified
), last_pitr as (
    select r.kind, r.label, r.finished_at
    from ops.pgbackrest_runs r
    where r.kind in ('full', 'diff', 'incr') and r.status = 'completed'
    order by r.started_at desc, r.run_id desc
    limit 1
), last_pitr_run as (
    select r.kind, r.status, r.error, r.started_at
    from ops.pgbackrest_runs r
    where r.kind in ('full', 'diff', 'incr') and r.status <> 'running'
    order by r.started_at desc, r.run_id desc
    limit 1
), last_pitr_verify as (
    select r.status, r.error, r.finished_at
    from ops.pgbackrest_runs r
    where r.kind = 'verify' and r.status <> 'running'
    order by r.started_at desc, r.run_id desc
    limit 1
), archiver as (
    select current_setting('archive_mode') <> 'off' as archiving,
           current_setting('archive_mode') <> 'off'
               and current_setting('archive_command') like '%pgbackrest%' as pgbackrest,
           a.last_archived_time, a.last_failed_time, a.last_failed_wal
    from pg_stat_archiver a
), newest as (
    -- the newest backup that ended, completed or failed (hub status, /metrics)
    select b.backup_id, b.status, b.verified, b.finished_at, b.error, b.path
    from ops.backups b
    where b.status <> 'running'
    order by b.started_at desc, b.backup_id desc
    limit 1
), stale as (
    select now() - interval '26 hours' as before
)
select
    d.backup_id as last_backup_id,
    d.finished_at as last_backup_at,
    coalesce(d.verified, false) as last_backup_verified,
    d.verify_status as last_backup_verify_status,
    d.verify_error as last_backup_verify_error,
    v.finished_at as last_verified_backup_at,
    a.archiving as wal_archiving,
    a.pgbackrest as pitr_enabled,
    a.last_archived_time as wal_last_archived_at,
    a.last_failed_time as wal_last_failed_at,
    p.finished_at as pitr_last_backup_at,
    p.kind as pitr_last_backup_kind,
    p.label as pitr_last_backup_label,
    case pv.status when 'completed' then 'ok' else pv.status end as pitr_verify_status,
    pv.finished_at as pitr_verified_at,
    array_remove(array[
        case when d.backup_id is null then 'no completed backup yet (hub backup run)' end,
        case when d.finished_at < s.before
             then format('the newest backup (%s) is older than 26 hours: it ended %s', d.backup_id, d.finished_at) end,
        case when d.backup_id is not null and not d.verified and d.verify_status is distinct from 'failed'
             then format('backup %s is not verified yet (hub backup verify %s)', d.backup_id, d.backup_id) end,
        case when d.verify_status = 'failed'
             then format('verify of backup %s failed: %s', d.backup_id, d.verify_error) end,
        case when r.status = 'failed' and r.started_at > coalesce(d.started_at, '-infinity')
             then format('the last backup run failed: %s', r.error) end,
        case when a.archiving and a.last_failed_time > coalesce(a.last_archived_time, '-infinity')
             then format('WAL archiving is failing (segment %s, last failure %s; see the server log)',
                         a.last_failed_wal, a.last_failed_time) end,
        case when a.pgbackrest and coalesce(p.finished_at, '-infinity') < s.before
             then 'no pgBackRest backup in the last 26 hours (hub backup run --pitr incr)' end,
        case when pr.status = 'failed' and pr.started_at > coalesce(p.finished_at, '-infinity')
             then format('the last pgBackRest %s backup failed: %s', pr.kind, pr.error) end,
        case when pv.status = 'failed' then format('pgbackrest verify failed: %s', pv.error) end
    ], null) as problems,
    n.backup_id as newest_backup_id,
    n.status as newest_status,
    n.verified as newest_verified,
    n.finished_at as newest_finished_at,
    n.error as newest_error,
    n.path as newest_path,
    (select max(b.finished_at) from ops.backups b where b.status = 'completed') as last_completed_at,
    (select max(b.finished_at) from ops.backups b where b.status = 'completed' and b.verified) as last_verified_at,
    now() - (select max(b.finished_at) from ops.backups b where b.status = 'completed' and b.verified)
        as last_verified_age,
    (select count(*) from ops.backups b where b.status = 'running') as running
from stale s
cross join archiver a
left join last_dump d on true
left join last_dump_run r on true
left join last_verified v on true
left join last_pitr p on true
left join last_pitr_run pr on true
left join last_pitr_verify pv on true
left join newest n on true;

comment on view ops.backup_status is
    'Monitoring: one row — newest completed dump and its verify (verified = restored into a scratch database '
    'with every table''s row count as its manifest says), pgBackRest backups and verify, WAL archiving, and '
    'problems (text[], empty when all is well: no or unverified or failed backups, none in 26 hours, archiving failing)';
comment on column ops.backup_status.last_backup_verified is
    'The newest completed dump passed `hub backup verify` (ops.backups.verified)';
comment on column ops.backup_status.wal_archiving is 'archive_mode is on (pg_stat_archiver says how it goes)';
comment on column ops.backup_status.pitr_enabled is
    'The server archives its WAL with pgBackRest (the embedded cluster with pgbackrest installed): point-in-time recovery';
comment on column ops.backup_status.problems is
    'What needs an operator, one sentence each naming the backup and what to run; empty when all is well';
comment on column ops.backup_status.newest_status is
    'Status of the newest backup that ended (completed or failed); newest_* describe that backup';
comment on column ops.backup_status.last_verified_at is 'When the newest completed and verified dump finished';
comment on column ops.backup_status.last_verified_age is 'now() minus last_verified_at (/metrics, hub status)';
comment on column ops.backup_status.running is 'Backups running now';
comment on column ops.backup_status.pitr_verify_status is 'Outcome of the last `pgbackrest verify`: ok or failed; null: none yet';
