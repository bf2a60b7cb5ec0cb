-- What the stalled-job recovery (ops.recover_stalled_jobs, run every minute by the workers'
-- retry_stalled_jobs) did with each job left `doing` by a worker that stopped heartbeating,
-- and why. procrastinate_jobs and procrastinate_events say that a job was retried, failed or
-- cancelled; this table says why, with the job that took over its work. No foreign key to
-- procrastinate_jobs: housekeeping deletes ended jobs after 14 days, their record stays 90.

create table ops.job_recoveries (
    recovery_id   bigint generated always as identity primary key,
    recovered_at  timestamptz not null default now(),
    job_id        bigint not null,
    task_name     text not null,
    queue_name    text not null,
    lock          text,
    queueing_lock text,
    attempts      integer not null,
    action        text not null,
    retry_at      timestamptz,
    superseded_by bigint,
    reason        text not null,
    constraint job_recoveries_action_known check (action in ('retried', 'failed', 'cancelled', 'error'))
);

create index job_recoveries_job_id on ops.job_recoveries (job_id);
create index job_recoveries_recovered_at on ops.job_recoveries (recovered_at);

comment on table ops.job_recoveries is
    'One row per stalled procrastinate job the recovery handled (ops.recover_stalled_jobs): what it did and why';
comment on column ops.job_recoveries.attempts is 'Attempts of the job including the one its dead worker left';
comment on column ops.job_recoveries.action is
    'retried (back to todo at retry_at), failed (attempts used up, or it could not be put back), '
    'cancelled (its work is queued again: superseded_by does it), error (nothing could be done; tried again next run)';
comment on column ops.job_recoveries.superseded_by is
    'cancelled: the waiting job with the same queueing_lock that does the same work (its webhook events moved there)';
comment on column ops.job_recoveries.reason is 'Why, in words an operator can act on (errors quoted)';
