/*
 * ops.ensure_partitions(p_from, p_to): make sure every quarter from p_from to p_to (default: p_from)
 * has a partition before order items of that time are written: quarters before
 * ops.order_items_hot_from() in archive.order_items, later ones in sales.order_items (pg_partman).
 * The importer and the data generator call it with the oldest time of what they write.
 * Returns the number of partitions created.
 */
create or replace function ops.ensure_partitions(p_from timestamptz, p_to timestamptz default null)
returns integer
language plpgsql
security definer
set search_path = pg_catalog
as $$
declare
    v_hot_from timestamptz := ops.order_items_hot_from();
    v_quarter timestamptz := date_trunc('quarter', p_from at time zone 'UTC') at time zone 'UTC';
    v_last timestamptz := date_trunc('quarter', coalesce(p_to, p_from) at time zone 'UTC') at time zone 'UTC';
    v_missing timestamptz[] := '{}';
    v_created integer := 0;
begin
    if p_from is null then
        return 0;
    end if;
    if exists (select from sales.order_items_default) then
        perform ops.drain_default_partition();
    end if;
    while v_quarter <= v_last loop
        if to_regclass(format('sales.%I', ops.quarter_partition_name('order_items', v_quarter))) is null then
            if v_quarter < v_hot_from then
                if ops.ensure_archive_partition(v_quarter) then
                    v_created := v_created + 1;
                end if;
            else
                v_missing := v_missing || v_quarter;
            end if;
        end if;
        v_quarter := v_quarter + interval '3 months';
    end loop;
    if cardinality(v_missing) > 0 then
        perform partman.create_partition_time('sales.order_items', v_missing, p_analyze => false);
        v_created := v_created + cardinality(v_missing);
    end if;
    return v_created;
end
$$;

revoke execute on function ops.ensure_partitions(timestamptz, timestamptz) from public;
grant execute on function ops.ensure_partitions(timestamptz, timestamptz) to hub_app;

comment on function ops.ensure_partitions(timestamptz, timestamptz) is
    'Create the quarterly partitions (hot in sales, old in archive) covering p_from..p_to before writing order items there; returns partitions created';
