/*
 * core.dashboard_login_record(p_client, p_ok): a dashboard login attempt of a client. A success
 * forgets its failures; a failure adds one (starting again from 1 when the last one is more than
 * 15 minutes old). Returns the wait now due (core.dashboard_login_wait), in seconds.
 */
create or replace function core.dashboard_login_record(p_client text, p_ok boolean)
returns double precision
language plpgsql
set search_path = pg_catalog
as $$
begin
    if p_ok then
        delete from core.dashboard_login_failures where client = p_client;
        return 0;
    end if;
    insert into core.dashboard_login_failures as f (client, failures, first_failed_at, last_failed_at)
    values (p_client, 1, now(), now())
    on conflict (client) do update
        set failures = case when f.last_failed_at > now() - interval '15 minutes' then f.failures + 1 else 1 end,
            first_failed_at = case when f.last_failed_at > now() - interval '15 minutes'
                                   then f.first_failed_at else now() end,
            last_failed_at = now();
    return core.dashboard_login_wait(p_client);
end
$$;

comment on function core.dashboard_login_record(text, boolean) is
    'Record a dashboard login attempt of a client address (success clears its failures, a failure adds one); '
    'returns the seconds it must now wait (core.dashboard_login_wait)';
