/*
 * analytics.change_horizon(): the earliest moment from which a row change may still be invisible
 * to a query that starts now: the start of the oldest open transaction of another client session
 * of this database (its rows carry synced_at = its now(), and it may commit later), or now() when
 * there is none. An incremental refresh that reads this before its data and later looks at
 * synced_at >= it misses no change. Security definer (hub_owner holds pg_read_all_stats) so the
 * transactions of every role are seen; only the time leaves the function.
 */
create or replace function analytics.change_horizon()
returns timestamptz
language sql
stable
security definer
set search_path = pg_catalog
as $$
    select least(now(), min(a.xact_start))
    from pg_stat_activity a
    where a.datname = current_database()
      and a.backend_type = 'client backend'
      and a.pid <> pg_backend_pid()
      and a.xact_start is not null
$$;

comment on function analytics.change_horizon() is
    'Start of the oldest open transaction of another client session of this database, else now(): changes with synced_at before it are visible to a query starting now';
