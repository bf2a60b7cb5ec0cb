-- Queries of `hub db migrate` (runner/migrate.py).

-- name: upsert_sql_file
insert into ops.sql_files (path, sha256, loaded_at)
values (%(path)s, %(sha256)s, now())
on conflict (path) do update set sha256 = excluded.sha256, loaded_at = excluded.loaded_at;

-- name: catalog_objects
-- Every object a migration or function file can create, with a hash of its definition,
-- so that a dry run can say what was added, changed or removed.
with hub_namespaces as (
    select oid, nspname
    from pg_namespace
    where nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
      and nspname not like 'pg_temp%' and nspname not like 'pg_toast_temp%'
)
select 'schema' as kind, n.nspname as identity, md5(coalesce(pg_get_userbyid(ns.nspowner), '')) as digest
from hub_namespaces n join pg_namespace ns on ns.oid = n.oid
union all
select case c.relkind when 'r' then 'table' when 'p' then 'table' when 'v' then 'view'
                      when 'm' then 'materialized view' when 'i' then 'index' when 'I' then 'index'
                      when 'S' then 'sequence' when 'f' then 'foreign table' else 'relation' end,
       n.nspname || '.' || c.relname,
       md5(coalesce(case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid)
                         when c.relkind in ('i', 'I') then pg_get_indexdef(c.oid)
                    end, '')
           || coalesce((select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                          || case when a.attnotnull then ' not null' else '' end, ', ' order by a.attnum)
                        from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '')
           || coalesce(obj_description(c.oid, 'pg_class'), ''))
from pg_class c join hub_namespaces n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'v', 'm', 'i', 'I', 'S', 'f')
union all
select case p.prokind when 'p' then 'procedure' else 'function' end,
       n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       md5(pg_get_functiondef(p.oid) || coalesce(obj_description(p.oid, 'pg_proc'), ''))
from pg_proc p join hub_namespaces n on n.oid = p.pronamespace
where p.prokind in ('f', 'p')
  and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
union all
select 'constraint', n.nspname || '.' || c.relname || '.' || con.conname, md5(pg_get_constraintdef(con.oid))
from pg_constraint con join pg_class c on c.oid = con.conrelid join hub_namespaces n on n.oid = c.relnamespace
union all
select 'trigger', n.nspname || '.' || c.relname || '.' || t.tgname, md5(pg_get_triggerdef(t.oid))
from pg_trigger t join pg_class c on c.oid = t.tgrelid join hub_namespaces n on n.oid = c.relnamespace
where not t.tgisinternal
union all
select 'extension', e.extname, md5(e.extversion) from pg_extension e
union all
select 'role', r.rolname, md5(r.rolcanlogin::text || r.rolsuper::text) from pg_roles r where r.rolname like 'hub\_%';

-- name: set_role_owner
-- migrations and function files marked for it run as the owner of the hub's objects
set role hub_owner;

-- name: reset_role
reset role;

-- name: known_sql_files
select path, sha256 from ops.sql_files;

-- name: check_function_bodies
-- transaction-local (set local): 'off' while every function exists, then 'on' to validate the bodies
select set_config('check_function_bodies', %(value)s, true);

-- name: forget_sql_file
delete from ops.sql_files where path = %(path)s;

-- name: routine_exists
-- does a function or procedure of this schema and name still exist (a function file's object)
select exists (select from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
               where n.nspname = %(schema)s and p.proname = %(name)s);

-- name: lock
-- one migration at a time (pg_advisory_xact_lock, released with the transaction)
select pg_advisory_xact_lock(%(key)s);

-- name: applied_migrations
select migration_id from _yoyo_migration;

-- name: drop_database
-- the database name (the placeholder) is formatted with psycopg.sql.Identifier
drop database if exists {};

-- name: drop_database_force
drop database if exists {} with (force);

-- name: create_database_from_template
-- the new database and its template (the placeholders) are formatted with psycopg.sql.Identifier
create database {} template {};

-- name: other_sessions
select count(*) from pg_stat_activity where datname = %(dbname)s and pid <> pg_backend_pid();
