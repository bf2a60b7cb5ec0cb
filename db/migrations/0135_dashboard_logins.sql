-- The dashboard's lock-out after failed logins (runner/dashboard/auth.py). Kept in SQL, not in
-- the web process's memory: `hub serve --workers N` runs N processes that must share one count,
-- and a restart must not hand an attacker a fresh budget. One row per client address with
-- failures since its last success; core.dashboard_login_wait says how long it must wait.

create table core.dashboard_login_failures (
    client          text primary key,
    failures        integer not null,
    first_failed_at timestamptz not null,
    last_failed_at  timestamptz not null,
    constraint dashboard_login_failures_positive check (failures > 0)
);

comment on table core.dashboard_login_failures is
    'Failed dashboard logins per client address since its last successful login or a quiet 15 minutes '
    '(core.dashboard_login_record writes, core.dashboard_login_wait reads)';
comment on column core.dashboard_login_failures.client is
    'The client''s address as the web app sees it (behind a reverse proxy: the forwarded address)';
comment on column core.dashboard_login_failures.failures is 'Failed attempts in a row';
