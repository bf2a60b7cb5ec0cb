/*
 * ops.ensure_partitions_for(p_times): make sure the quarter of every given time has a partition
 * before order items of those times are written — only those quarters, never the ones between
 * them: one order mistyped as created in 2206 (or 9999) costs one partition, not hundreds.
 * Quarters before ops.order_items_hot_from() go to archive.order_items, later ones to
 * sales.order_items (pg_partman's create_partition_time). Null times are ignored.
 *
 * Cheap when nothing is missing: the session remembers the quarters it has seen to exist, in
 * the setting hub.partitions_known (',h2026q1,a2019q4,': h = sales, a = archive), so a chunk
 * whose quarters are known reads no catalog at all; only an unknown quarter is looked up
 * (pg_class) and, when missing, created under an advisory lock (the default partition is
 * emptied first, or pg_partman could not carve the quarter out of it). The setting is changed
 * with set_config, which PostgreSQL undoes with the (sub)transaction, so a rolled-back creation
 * is forgotten too. A partition dropped by hand while a session remembers it is not re-made by
 * that session: reconnect (or `reset hub.partitions_known`) after dropping partitions.
 *
 * Times must lie in the years 1..9999 UTC (pg_partman names quarters with 4-digit years);
 * ingest.stage_orders refuses others. Returns the number of partitions created.
 */
create or replace function ops.ensure_partitions_for(p_times timestamptz[])
returns integer
language plpgsql
security definer
set search_path = pg_catalog
set timezone = 'UTC'  -- quarters are UTC quarters whatever the session's time zone
as $$
declare
    v_hot_from timestamptz := ops.order_items_hot_from();
    v_known text := coalesce(nullif(current_setting('hub.partitions_known', true), ''), ',');
    v_quarters timestamptz[];
    v_keys text[];
    v_quarter timestamptz;
    v_missing timestamptz[];
    v_hot timestamptz[] := '{}';
    v_created integer := 0;
begin
    -- the distinct quarters of the given times that this session has not seen yet
    select coalesce(array_agg(q.quarter order by q.quarter), '{}'), coalesce(array_agg(q.key order by q.quarter), '{}')
    into v_quarters, v_keys
    from (
        select d.quarter,
               case when d.quarter < v_hot_from then 'a' else 'h' end
                   || to_char(d.quarter at time zone 'UTC', 'YYYY"q"Q') as key
        from (select distinct date_trunc('quarter', t at time zone 'UTC') at time zone 'UTC' as quarter
              from unnest(p_times) t
              where t is not null) d
    ) q
    where position(',' || q.key || ',' in v_known) = 0;

    if cardinality(v_quarters) = 0 then
        return 0;
    end if;

    -- which of them have no partition yet (pg_class, not to_regclass: a plain query sees what
    -- other sessions committed since, which the relation cache of this session may not)
    select coalesce(array_agg(q), '{}') into v_missing
    from unnest(v_quarters) q
    where not exists (select from pg_class c
                      where c.relnamespace = case when q < v_hot_from then 'archive' else 'sales' end::regnamespace
                        and c.relname = ops.quarter_partition_name('order_items', q));

    if cardinality(v_missing) > 0 then
        -- one creator at a time (a concurrent import may be making the same quarter); taken before
        -- any partition DDL, as ops.run_maintenance does, so the two never wait for each other
        perform pg_advisory_xact_lock(hashtext('ops.ensure_partitions'));
        foreach v_quarter in array v_missing loop
            if v_quarter < v_hot_from then
                if ops.ensure_archive_partition(v_quarter) then
                    v_created := v_created + 1;
                end if;
            elsif not exists (select from pg_class c
                              where c.relnamespace = 'sales'::regnamespace
                                and c.relname = ops.quarter_partition_name('order_items', v_quarter)) then
                v_hot := v_hot || v_quarter;
            end if;
        end loop;
        if cardinality(v_hot) > 0 then
            if exists (select from sales.order_items_default) then
                -- pg_partman cannot carve a quarter out of a default partition holding its rows
                perform ops.drain_default_partition();
                select coalesce(array_agg(q), '{}') into v_hot
                from unnest(v_hot) q
                where not exists (select from pg_class c
                                  where c.relnamespace = 'sales'::regnamespace
                                    and c.relname = ops.quarter_partition_name('order_items', q));
            end if;
            if cardinality(v_hot) > 0 then
                perform partman.create_partition_time('sales.order_items', v_hot, p_analyze => false);
                v_created := v_created + cardinality(v_hot);
            end if;
        end if;
    end if;

    perform set_config('hub.partitions_known', v_known || array_to_string(v_keys, ',') || ',', false);
    return v_created;
end
$$;

revoke execute on function ops.ensure_partitions_for(timestamptz[]) from public, hub_readonly;
grant execute on function ops.ensure_partitions_for(timestamptz[]) to hub_app;

comment on function ops.ensure_partitions_for(timestamptz[]) is
    'Create the quarterly partitions (hot in sales, old in archive) of exactly the quarters the given times fall in, before writing order items there; known quarters are remembered per session (hub.partitions_known); returns partitions created';
