/*
 * core.dashboard_login_wait(p_client): seconds the client must wait before its next dashboard
 * login attempt is even checked; 0 when it may try now. The first 3 failures in a row cost
 * nothing; from the 4th on the wait doubles from 2 s up to 300 s (2^(failures-3) s, counted from
 * the last failure), so a guesser gets about a dozen tries an hour and a typo costs nothing.
 * Failures more than 15 minutes old are forgotten (core.dashboard_login_record starts again).
 */
create or replace function core.dashboard_login_wait(p_client text)
returns double precision
language sql
stable
set search_path = pg_catalog
as $$
    select coalesce(max(greatest(0, extract(epoch from
               f.last_failed_at + make_interval(secs => least(300, 2 ^ (f.failures - 3))) - now()))), 0)::double precision
    from core.dashboard_login_failures f
    where f.client = p_client
      and f.failures > 3
      and f.last_failed_at > now() - interval '15 minutes';
$$;

comment on function core.dashboard_login_wait(text) is
    'Seconds (double precision, 0: now) a client must wait before its next dashboard login attempt: '
    'from the 4th failure in a row 2^(failures-3) s after the last failure, at most 300 s; failures forgotten after 15 min';
