/*
 * ops.attach_archived_partitions(): attach to archive.order_items every table that pg_partman's
 * retention detached from sales.order_items and moved into schema archive (order_items_pYYYYqN),
 * so that archived lines stay queryable through archive.order_items and sales.order_items_all.
 * Returns the number attached.
 */
create or replace function ops.attach_archived_partitions()
returns integer
language plpgsql
set search_path = pg_catalog
set timezone = 'UTC'  -- quarters are UTC quarters whatever the session's time zone
as $$
declare
    v_table record;
    v_from timestamptz;
    v_count integer := 0;
begin
    for v_table in
        select c.relname
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'archive' and c.relkind = 'r' and not c.relispartition
          and c.relname ~ '^order_items_p[0-9]{4}q[1-4]$'
        order by c.relname
    loop
        v_from := make_timestamptz(substr(v_table.relname, 14, 4)::int,
                                   (substr(v_table.relname, 19, 1)::int - 1) * 3 + 1, 1, 0, 0, 0, 'UTC');
        execute format('alter table archive.order_items attach partition archive.%I for values from (%L) to (%L)',
                       v_table.relname, v_from, v_from + interval '3 months');
        v_count := v_count + 1;
    end loop;
    return v_count;
end
$$;

comment on function ops.attach_archived_partitions() is
    'Attach partitions that retention moved into schema archive to archive.order_items; returns how many';
