/*
 * ops.ensure_archive_partition(p_quarter): make sure archive.order_items has a partition for the
 * quarter starting at p_quarter (rows of old orders that arrive after their quarter was archived
 * go there). Returns true when it created one.
 */
create or replace function ops.ensure_archive_partition(p_quarter timestamptz)
returns boolean
language plpgsql
set search_path = pg_catalog
set timezone = 'UTC'  -- quarters are UTC quarters whatever the session's time zone
as $$
declare
    v_from timestamptz := date_trunc('quarter', p_quarter at time zone 'UTC') at time zone 'UTC';
    v_name text := ops.quarter_partition_name('order_items', date_trunc('quarter', p_quarter at time zone 'UTC') at time zone 'UTC');
begin
    -- pg_class, not to_regclass: a plain query sees what other sessions committed meanwhile
    if exists (select from pg_class c where c.relnamespace = 'archive'::regnamespace and c.relname = v_name) then
        return false;
    end if;
    execute format('create table archive.%I partition of archive.order_items for values from (%L) to (%L)',
                   v_name, v_from, v_from + interval '3 months');
    return true;
end
$$;

comment on function ops.ensure_archive_partition(timestamptz) is
    'Create the archive.order_items partition for a quarter if missing; true when created';
