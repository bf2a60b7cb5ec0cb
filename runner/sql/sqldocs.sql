-- Queries of runner/sqldocs.py (docs/sql.md): the system catalog of a migrated database.
-- Partitions (their names follow today's date) and objects that belong to an extension are
-- left out, so two databases built from the same migrations give the same rows. Every list
-- is ordered with the "C" collation so that the order does not depend on the server's locale.

-- name: sqldocs_session
-- for the rest of the transaction: names outside pg_catalog come out schema-qualified and
-- constants the same way, whatever the role's or the server's defaults
select set_config('search_path', 'pg_catalog', true),
       set_config('timezone', 'UTC', true),
       set_config('datestyle', 'ISO, YMD', true),
       set_config('intervalstyle', 'postgres', true),
       set_config('extra_float_digits', '1', true);

-- name: sqldocs_schemas
select n.nspname as name, obj_description(n.oid, 'pg_namespace') as comment
from pg_namespace n
where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
order by n.nspname collate "C";

-- name: sqldocs_relations
-- tables, partitioned tables, views and materialized views, with their key
select n.nspname as schema, c.relname as name, c.relkind::text as kind,
       c.relpersistence = 'u' as unlogged,
       obj_description(c.oid, 'pg_class') as comment,
       case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partition_key,
       (select pg_get_constraintdef(k.oid)
        from pg_constraint k
        where k.conrelid = c.oid and k.contype = 'p') as primary_key
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any(%(schemas)s)
  and c.relkind in ('r', 'p', 'v', 'm', 'f')
  and not c.relispartition
  and not exists (select from pg_depend d
                  where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
order by n.nspname collate "C", c.relname collate "C";

-- name: sqldocs_columns
select n.nspname as schema, c.relname as relation, a.attnum as position, a.attname as name,
       format_type(a.atttypid, a.atttypmod) as type,
       a.attnotnull as not_null,
       a.attidentity::text as identity,
       a.attgenerated::text as generated,
       pg_get_expr(ad.adbin, ad.adrelid) as default_expr,
       col_description(c.oid, a.attnum) as comment
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
where n.nspname = any(%(schemas)s)
  and c.relkind in ('r', 'p', 'v', 'm', 'f')
  and not c.relispartition
  and a.attnum > 0 and not a.attisdropped
order by n.nspname collate "C", c.relname collate "C", a.attnum;

-- name: sqldocs_functions
-- functions, procedures and aggregates; overloads ordered by their argument types
select n.nspname as schema, p.proname as name, p.prokind::text as kind,
       pg_get_function_arguments(p.oid) as arguments,
       pg_get_function_result(p.oid) as result,
       obj_description(p.oid, 'pg_proc') as comment
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where n.nspname = any(%(schemas)s)
  and not exists (select from pg_depend d
                  where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
order by n.nspname collate "C", p.proname collate "C",
         pg_get_function_identity_arguments(p.oid) collate "C";
