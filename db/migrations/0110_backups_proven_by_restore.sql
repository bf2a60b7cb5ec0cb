-- Backups proven by restore (issue 14): a dump now carries its SHA-256 and a manifest (row
-- counts per table taken in the dump's own snapshot), and `verified` means that `hub backup
-- verify` restored it into a scratch database and found every table's row count as the manifest
-- says. pgBackRest backups of the embedded cluster (point-in-time recovery) and their verify runs
-- are recorded in ops.pgbackrest_runs. ops.backup_status (db/functions/ops/) sums both up.

alter table ops.backups
    add column sha256        text,
    add column manifest      jsonb,
    add column verify_status text,
    add column verified_at   timestamptz,
    add column verify_error  text,
    add constraint backups_verify_status_known check (verify_status in ('ok', 'failed')),
    add constraint backups_sha256_hex check (sha256 ~ '^[0-9a-f]{64}$');

-- Dumps made before: their table of contents was read back, nothing was restored, and they have
-- no checksum to verify against; they stay restorable by hand (pg_restore) but are not verified.
update ops.backups set verified = false where verified;

comment on column ops.backups.status is
    'running, completed (the file is complete, checksummed and its table of contents reads back; '
    'whether it restores is verify_status), failed (error says why)';
comment on column ops.backups.verified is
    'true when the last `hub backup verify` of this dump passed: checksum as recorded, restored into a '
    'scratch database, every table''s row count as the manifest says (dumps before 0110: false, never verified)';
comment on column ops.backups.removed_at is
    'When `hub backup prune` deleted the file (older than HUB_BACKUP_KEEP_DAYS, beyond the newest '
    'HUB_BACKUP_KEEP, not the newest verified)';
comment on column ops.backups.path is
    'The dump file on the machine that made it; beside it <file>.sha256 and the manifest <name>.manifest.json '
    '(restore: hub backup restore ID --to DBNAME)';
comment on column ops.backups.sha256 is 'SHA-256 of the dump file, lower-case hex (also in <file>.sha256); null before 0110';
comment on column ops.backups.manifest is
    'The manifest written beside the dump: {"tables": {"schema.table": rows}, sizes, duration, versions, snapshot}';
comment on column ops.backups.verify_status is 'Outcome of the last verify: ok or failed (verify_error says why); null: never verified';
comment on column ops.backups.verified_at is 'When the last verify of this dump ended (ok or failed)';
comment on column ops.backups.verify_error is 'Why the last verify failed (checksum mismatch, restore error, row counts that differ)';

create table ops.pgbackrest_runs (
    run_id      bigint generated always as identity primary key,
    kind        text not null,
    started_at  timestamptz not null default now(),
    finished_at timestamptz,
    status      text not null default 'running',
    label       text,
    error       text,
    details     jsonb,
    constraint pgbackrest_runs_kind_known check (kind in ('full', 'diff', 'incr', 'verify')),
    constraint pgbackrest_runs_status_known check (status in ('running', 'completed', 'failed'))
);

create index pgbackrest_runs_kind_started on ops.pgbackrest_runs (kind, started_at);

comment on table ops.pgbackrest_runs is
    'pgBackRest backups (full weekly, incr daily) and `pgbackrest verify` runs of the embedded cluster, '
    'newest last; the workers and `hub backup run --pitr` / `hub backup verify` write here';
comment on column ops.pgbackrest_runs.kind is 'full, diff or incr (a backup), or verify (pgbackrest verify of the repository)';
comment on column ops.pgbackrest_runs.status is 'running, completed, failed (error says why)';
comment on column ops.pgbackrest_runs.label is 'The backup''s pgBackRest label (e.g. 20261130-013000F); null for verify';
comment on column ops.pgbackrest_runs.details is
    'backup: sizes in bytes and times from pgbackrest info; verify: pgbackrest''s report';
