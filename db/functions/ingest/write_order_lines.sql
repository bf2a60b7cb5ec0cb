/*
 * ingest.write_order_lines(p_shop_id, p_batch_id, p_codes, p_created, p_upsert): write the staged
 * lines of the given orders (code and created_at, in parallel arrays) of a batch: lines of orders
 * created from ops.order_items_hot_from() on into sales.order_items, older ones into
 * archive.order_items. p_upsert false: plain inserts (the orders are new, none of their lines
 * can exist); true: upserts by (shop_id, created_at, order_code, item_id). A line repeated in the
 * batch is written once. Returns (hot, archived) lines written. Called by ingest.apply_orders.
 */
create or replace function ingest.write_order_lines(
    p_shop_id bigint,
    p_batch_id bigint,
    p_codes text[],
    p_created timestamptz[],
    p_upsert boolean,
    out hot_written integer,
    out archived_written integer
)
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_hot_from timestamptz := ops.order_items_hot_from();
    v_target text;
    v_rows integer;
begin
    hot_written := 0;
    archived_written := 0;
    if cardinality(p_codes) = 0 then
        return;
    end if;
    foreach v_target in array array['sales.order_items', 'archive.order_items'] loop
        execute format($sql$
            with lines as (
                select distinct on (s.order_code, s.item_id) s.*, w.created_at
                from ingest.stage_order_items s
                join unnest($3, $4) w(code, created_at) on w.code = s.order_code
                where s.batch_id = $2 and (w.created_at >= $5) = %L
                order by s.order_code, s.item_id
            )
            insert into %s as i (
                shop_id, order_code, item_id, created_at, item_type, product_type, product_guid, code, ean, name,
                variant_name, brand, amount, amount_unit, amount_completed, weight, price_ratio,
                unit_price_with_vat, unit_price_without_vat, total_with_vat, total_without_vat, total_vat, vat_rate,
                purchase_price, status_id, status_name, supplier_name, synced_at, deleted_at)
            select $1, l.order_code, l.item_id, l.created_at, l.item_type, l.product_type, l.product_guid, l.code,
                   l.ean, l.name, l.variant_name, l.brand, l.amount, l.amount_unit, l.amount_completed, l.weight,
                   l.price_ratio, l.unit_price_with_vat, l.unit_price_without_vat, l.total_with_vat,
                   l.total_without_vat, l.total_vat, l.vat_rate, l.purchase_price, l.status_id, l.status_name,
                   l.supplier_name, now(), null
            from lines l
            %s
            $sql$,
            v_target = 'sales.order_items', v_target,
            case when p_upsert then $conflict$
            on conflict (shop_id, created_at, order_code, item_id) do update set
                item_type = excluded.item_type, product_type = excluded.product_type,
                product_guid = excluded.product_guid, code = excluded.code, ean = excluded.ean, name = excluded.name,
                variant_name = excluded.variant_name, brand = excluded.brand, amount = excluded.amount,
                amount_unit = excluded.amount_unit, amount_completed = excluded.amount_completed,
                weight = excluded.weight, price_ratio = excluded.price_ratio,
                unit_price_with_vat = excluded.unit_price_with_vat,
                unit_price_without_vat = excluded.unit_price_without_vat,
                total_with_vat = excluded.total_with_vat, total_without_vat = excluded.total_without_vat,
                total_vat = excluded.total_vat, vat_rate = excluded.vat_rate, purchase_price = excluded.purchase_price,
                status_id = excluded.status_id, status_name = excluded.status_name,
                supplier_name = excluded.supplier_name, synced_at = now(), deleted_at = null
            $conflict$ else '' end)
        using p_shop_id, p_batch_id, p_codes, p_created, v_hot_from;
        get diagnostics v_rows = row_count;
        if v_target = 'sales.order_items' then
            hot_written := v_rows;
        else
            archived_written := v_rows;
        end if;
    end loop;
end
$$;

comment on function ingest.write_order_lines(bigint, bigint, text[], timestamptz[], boolean) is
    'Insert (new orders) or upsert (updated orders) the staged lines of a batch into sales.order_items, old quarters into archive.order_items; returns lines written';
