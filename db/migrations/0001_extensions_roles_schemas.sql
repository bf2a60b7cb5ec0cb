-- role: superuser
-- Extensions, roles and schemas: the ground every later migration stands on.
--
-- hub_owner    owns every object (migrations and function files run as it); no login
-- hub_app      what the runner, web app and workers connect as: DML and EXECUTE, no DDL
-- hub_readonly read access for DBAs and analysts, also to tables created later
--
-- Roles are cluster-wide, so they are created only when missing.

do $$
begin
    if not exists (select from pg_roles where rolname = 'hub_owner') then
        create role hub_owner nologin;
    end if;
    if not exists (select from pg_roles where rolname = 'hub_app') then
        create role hub_app login;
    end if;
    if not exists (select from pg_roles where rolname = 'hub_readonly') then
        create role hub_readonly login;
    end if;
end
$$;

comment on role hub_owner is 'Shoptet Hub: owns every hub object; migrations run as it';
comment on role hub_app is 'Shoptet Hub: runner, web app and workers; DML and EXECUTE, no DDL';
comment on role hub_readonly is 'Shoptet Hub: read-only access for DBAs and analysts';

-- hub_readonly sees server statistics (pg_stat_statements, pg_stat_activity of all roles)
grant pg_read_all_stats to hub_readonly;

create schema if not exists partman;
create extension if not exists pg_partman with schema partman;
create extension if not exists pgcrypto;
create extension if not exists pg_stat_statements;
create extension if not exists pg_trgm;
create extension if not exists btree_gin;
create extension if not exists amcheck;

-- hub_owner runs pg_partman (create_parent, run_maintenance) on its own tables
grant all on schema partman to hub_owner;
grant all on all tables in schema partman to hub_owner;
grant all on all sequences in schema partman to hub_owner;
grant execute on all functions in schema partman to hub_owner;
grant execute on all procedures in schema partman to hub_owner;
grant usage on schema partman to hub_readonly;
grant select on all tables in schema partman to hub_readonly;
do $$ begin execute format('grant temporary on database %I to hub_owner', current_database()); end $$;

create schema if not exists core authorization hub_owner;
create schema if not exists ingest authorization hub_owner;
create schema if not exists sales authorization hub_owner;
create schema if not exists catalog authorization hub_owner;
create schema if not exists analytics authorization hub_owner;
create schema if not exists ops authorization hub_owner;
create schema if not exists archive authorization hub_owner;

comment on schema core is 'Shops (one row per Shoptet e-shop) and typed, per-shop or global settings';
comment on schema ingest is 'Getting data in: snapshot jobs and failures, webhook inbox, sync cursors, staging';
comment on schema sales is 'Orders, order items (partitioned by quarter) and customers mirrored from Shoptet';
comment on schema catalog is 'Products, variants, stock, suppliers and translations';
comment on schema analytics is 'Customer and inventory metrics computed in SQL';
comment on schema ops is 'Operations: backups catalogue, monitoring views, notifications, migration bookkeeping';
comment on schema archive is 'Partitions detached by retention (older than two years), still queryable';

grant usage on schema core, ingest, sales, catalog, analytics, ops, archive to hub_app, hub_readonly;

-- privileges on everything hub_owner creates from now on
alter default privileges for role hub_owner grant select, insert, update, delete on tables to hub_app;
alter default privileges for role hub_owner grant usage, select on sequences to hub_app;
alter default privileges for role hub_owner grant select on tables to hub_readonly;
alter default privileges for role hub_owner grant select on sequences to hub_readonly;
alter default privileges for role hub_owner grant execute on functions to hub_app, hub_readonly;
