/*
 * core.is_time_zone(p_name): whether p_name is a time zone name PostgreSQL knows
 * (pg_timezone_names: IANA names such as Europe/Prague, Europe/Bratislava, Europe/Budapest,
 * Europe/Bucharest). Abbreviations and POSIX strings that `at time zone` would also take
 * ('CEST', 'XYZ+3') are not names and give false. Null gives null.
 */
create or replace function core.is_time_zone(p_name text)
returns boolean
language sql
stable strict
set search_path = pg_catalog
as $$
    select exists (select from pg_timezone_names z where z.name = p_name)
$$;

comment on function core.is_time_zone(text) is
    'Whether a text is a time zone name in pg_timezone_names (e.g. Europe/Prague)';
