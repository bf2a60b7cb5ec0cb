/*
 * ops.run_maintenance(): the hourly partition maintenance, idempotent. In order:
 * 1. empty the default partition (ops.drain_default_partition),
 * 2. pg_partman: make partitions ahead (premake) and apply retention — quarters older than
 *    2 years are detached and moved into schema archive, never dropped,
 * 3. make sure the premake window from today is there: pg_partman counts premade quarters from
 *    the newest partition, so once an order dated far ahead (a typed 2206) has its partition,
 *    pg_partman would never again make the next quarters after today,
 * 4. drop empty partitions after that window (ops.drop_empty_future_partitions): quarters an
 *    outlier date once made, which only slow every statement that cannot prune,
 * 5. attach what retention moved to archive.order_items (ops.attach_archived_partitions).
 * Runs as hub_owner (security definer) so that the workers (hub_app) may call it.
 * Returns what it did as JSON.
 */
create or replace function ops.run_maintenance()
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog
set timezone = 'UTC'  -- quarters are UTC quarters whatever the session's time zone
as $$
declare
    v_moved bigint;
    v_before integer;
    v_after integer;
    v_attached integer;
    v_premake integer;
    v_dropped integer;
begin
    -- one maintenance at a time (pg_partman locks too, but the drain runs before it)
    perform pg_advisory_xact_lock(hashtext('ops.run_maintenance'));
    -- the lock of partition creation (ops.ensure_partitions_for) before any partition DDL, so an
    -- import making a quarter and this maintenance never wait for each other's locks
    perform pg_advisory_xact_lock(hashtext('ops.ensure_partitions'));
    select count(*) into v_before from partman.show_partitions('sales.order_items');
    v_moved := ops.drain_default_partition();
    perform partman.run_maintenance('sales.order_items', p_analyze => false, p_jobmon => false);
    select c.premake into v_premake from partman.part_config c where c.parent_table = 'sales.order_items';
    perform ops.ensure_partitions(now(), now() + make_interval(months => 3 * coalesce(v_premake, 4)));
    v_dropped := ops.drop_empty_future_partitions();
    v_attached := ops.attach_archived_partitions();
    select count(*) into v_after from partman.show_partitions('sales.order_items');
    return jsonb_build_object(
        'moved_from_default', v_moved,
        'hot_partitions', v_after,
        'partitions_created', greatest(v_after + v_attached + v_dropped - v_before, 0),
        'empty_future_dropped', v_dropped,
        'archived', v_attached,
        'archive_partitions', (select count(*) from pg_inherits i where i.inhparent = 'archive.order_items'::regclass),
        'default_rows', (select count(*) from sales.order_items_default)
    );
end
$$;

revoke execute on function ops.run_maintenance() from public, hub_readonly;
grant execute on function ops.run_maintenance() to hub_app;

comment on function ops.run_maintenance() is
    'Partition maintenance (hourly, idempotent): empty the default partition, premake, retention to archive, attach archived; returns a JSON summary';
