/*
 * ops.backup_status: one row about the backups in ops.backups: the newest one that ended
 * (completed or failed: status, verified, error), when the last completed backup and the last
 * completed and verified backup finished, and how old that verified one is. `hub status` and
 * /metrics judge by it: no verified backup in the last 26 hours, or a newest backup that failed
 * or is not verified, needs attention.
 */
create or replace view ops.backup_status as
with newest as (
    select b.backup_id, b.status, b.verified, b.finished_at, b.error, b.path
    from ops.backups b
    where b.status <> 'running'
    order by b.started_at desc, b.backup_id desc
    limit 1
)
select n.backup_id as newest_backup_id, n.status as newest_status, n.verified as newest_verified,
       n.finished_at as newest_finished_at, n.error as newest_error, n.path as newest_path,
       (select max(b.finished_at) from ops.backups b where b.status = 'completed') as last_completed_at,
       (select max(b.finished_at) from ops.backups b where b.status = 'completed' and b.verified) as last_verified_at,
       now() - (select max(b.finished_at) from ops.backups b where b.status = 'completed' and b.verified)
           as last_verified_age,
       (select count(*) from ops.backups b where b.status = 'running') as running
from (values (1)) as one(x)
left join newest n on true;

comment on view ops.backup_status is
    'Backups in one row: the newest ended one (status, verified, error), last completed and last verified finish time, '
    'age of the last verified one, backups running';
