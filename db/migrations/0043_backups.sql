-- The catalogue of database backups made by `hub db backup` and the daily backup job.

create table ops.backups (
    backup_id   bigint generated always as identity primary key,
    started_at  timestamptz not null default now(),
    finished_at timestamptz,
    status      text not null default 'running',
    path        text not null,
    size_bytes  bigint,
    verified    boolean not null default false,
    error       text,
    removed_at  timestamptz,
    constraint backups_status_known check (status in ('running', 'completed', 'failed'))
);

comment on table ops.backups is
    'Backups of the hub database (pg_dump custom format), newest last; hub db backup and the daily job write here';
comment on column ops.backups.status is 'running, completed (the file is complete and verified), failed (error says why)';
comment on column ops.backups.path is 'The dump file on the machine that made it (restore: pg_restore -d <database> <path>)';
comment on column ops.backups.verified is 'pg_restore --list read the whole archive table of contents back';
comment on column ops.backups.removed_at is 'When the file was deleted by the retention (keep the newest N)';
