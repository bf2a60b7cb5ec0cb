/*
 * ops.drain_default_partition(): move every row of sales.order_items_default where it belongs.
 * Rows older than ops.order_items_hot_from() go into archive.order_items (upserted: a newer copy
 * of an archived line replaces the old one); the rest go into quarterly partitions of
 * sales.order_items, made as needed by pg_partman's partition_data_time.
 * Returns the number of rows moved. The default partition must stay empty: a row there that is
 * newer than the last partition would make pg_partman's maintenance fail.
 * Runs as hub_owner (security definer: it may create archive partitions); ingest.apply_orders
 * calls it when orders moved in time (their hot lines followed into the default partition).
 */
create or replace function ops.drain_default_partition()
returns bigint
language plpgsql
security definer
set search_path = pg_catalog
set timezone = 'UTC'  -- quarters are UTC quarters whatever the session's time zone
as $$
declare
    v_hot_from timestamptz := ops.order_items_hot_from();
    v_quarter timestamptz;
    v_archived bigint;
    v_quarters int;
    v_moved bigint := 0;
begin
    for v_quarter in
        select distinct date_trunc('quarter', d.created_at at time zone 'UTC') at time zone 'UTC'
        from sales.order_items_default d
        where d.created_at < v_hot_from
    loop
        perform ops.ensure_archive_partition(v_quarter);
    end loop;

    with gone as (
        delete from sales.order_items_default d
        where d.created_at < v_hot_from
        returning d.*
    )
    insert into archive.order_items
    select * from gone
    on conflict (shop_id, created_at, order_code, item_id) do update
    set item_type = excluded.item_type, product_type = excluded.product_type,
        product_guid = excluded.product_guid, code = excluded.code, ean = excluded.ean,
        name = excluded.name, variant_name = excluded.variant_name, brand = excluded.brand,
        amount = excluded.amount, amount_unit = excluded.amount_unit,
        amount_completed = excluded.amount_completed, weight = excluded.weight,
        price_ratio = excluded.price_ratio, unit_price_with_vat = excluded.unit_price_with_vat,
        unit_price_without_vat = excluded.unit_price_without_vat,
        total_with_vat = excluded.total_with_vat, total_without_vat = excluded.total_without_vat,
        total_vat = excluded.total_vat, vat_rate = excluded.vat_rate,
        purchase_price = excluded.purchase_price, status_id = excluded.status_id,
        status_name = excluded.status_name, supplier_name = excluded.supplier_name,
        synced_at = excluded.synced_at, deleted_at = excluded.deleted_at;
    get diagnostics v_archived = row_count;

    select count(distinct date_trunc('quarter', d.created_at at time zone 'UTC'))
    into v_quarters
    from sales.order_items_default d;
    if v_quarters > 0 then
        v_moved := partman.partition_data_time('sales.order_items', p_batch_count => v_quarters + 1,
                                               p_analyze => false);
    end if;
    return v_archived + coalesce(v_moved, 0);
end
$$;

revoke execute on function ops.drain_default_partition() from public, hub_readonly;
grant execute on function ops.drain_default_partition() to hub_app;

comment on function ops.drain_default_partition() is
    'Move rows out of sales.order_items_default: old ones into archive.order_items, the rest into (new) quarterly partitions; returns rows moved';
