/*
 * ingest.apply_orders(p_shop_id, p_batch_id): upsert the orders and order lines staged under
 * p_batch_id into sales.orders / sales.order_items (archive.order_items for lines older than
 * ops.order_items_hot_from()), set-based, then empty the batch.
 *
 * An order is written only when it is new, was soft-deleted, or its staged version differs
 * and is not older (changeTime) than the stored one: re-applying the same file writes
 * nothing. The lines of every written order are replaced: upserted by (order, itemId), and
 * lines no longer present are soft-deleted (a line soft-deleted before keeps its deleted_at, also
 * when Shoptet moves the order's creation time and its lines move with it, between archived
 * quarters or from the archive into a hot quarter). The e-mail is stored as core.normalize_email
 * gives it (the importer normalised it already; this keeps every path equal). A staged order seen
 * twice in the batch counts once (the later changeTime, then the later line).
 * Returns {orders_written, items_written, items_archived, items_removed, date_outliers: codes of
 * written orders dated more than a year ahead or before 2000 (ops.is_date_outlier)}.
 */
create or replace function ingest.apply_orders(p_shop_id bigint, p_batch_id bigint)
returns jsonb
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_outliers text[] := '{}';
    v_orders integer;
    v_codes text[];
    v_moved_codes text[];
    v_moved_created timestamptz[];
    v_updated_codes text[];
    v_updated_created timestamptz[];
    v_new_codes text[];
    v_new_created timestamptz[];
    v_rows integer;
    v_rows_archived integer;
    v_created timestamptz[];
    v_items integer := 0;
    v_archived integer := 0;
    v_removed integer := 0;
    v_hot_from timestamptz := ops.order_items_hot_from();
begin
    -- orders whose creation time changed at the source: their archived lines sit in another partition
    select coalesce(array_agg(o.code), '{}'), coalesce(array_agg(o.created_at), '{}')
    into v_moved_codes, v_moved_created
    from ingest.stage_orders s
    join sales.orders o on o.shop_id = p_shop_id and o.code = s.code
    where s.batch_id = p_batch_id and s.created_at is not null and o.created_at <> s.created_at;

    with src as (
        select distinct on (s.code) s.*
        from ingest.stage_orders s
        where s.batch_id = p_batch_id
        order by s.code, s.changed_at desc nulls last, s.line_no desc
    ), prepared as (
        select s.*, coalesce(s.created_at, o.created_at, s.changed_at, now()) as created_at_final
        from src s
        left join sales.orders o on o.shop_id = p_shop_id and o.code = s.code
    ), written as (
        insert into sales.orders as o (
            shop_id, code, guid, created_at, changed_at, status_id, status_name, source_id, source_name,
            email, phone, full_name, company, customer_guid, cash_desk_order, paid,
            total_with_vat, total_without_vat, total_vat, to_pay, currency, exchange_rate,
            shipping_guid, shipping_name, payment_method_guid, payment_method_name, billing_method_id,
            language, vat_payer, vat_mode, stock_id, billing_address, delivery_address, remark, admin_url,
            source_hash, synced_at, deleted_at)
        select p_shop_id, p.code, p.guid, p.created_at_final, p.changed_at, p.status_id, p.status_name,
               p.source_id, p.source_name, core.normalize_email(p.email), p.phone, p.full_name, p.company, p.customer_guid,
               coalesce(p.cash_desk_order, false), p.paid,
               p.total_with_vat, p.total_without_vat, p.total_vat, p.to_pay, p.currency, p.exchange_rate,
               p.shipping_guid, p.shipping_name, p.payment_method_guid, p.payment_method_name, p.billing_method_id,
               p.language, p.vat_payer, p.vat_mode, p.stock_id, p.billing_address, p.delivery_address, p.remark,
               p.admin_url, p.source_hash, now(), null
        from prepared p
        on conflict (shop_id, code) do update set
            guid = excluded.guid, created_at = excluded.created_at, changed_at = excluded.changed_at,
            status_id = excluded.status_id, status_name = excluded.status_name,
            source_id = excluded.source_id, source_name = excluded.source_name,
            email = excluded.email, phone = excluded.phone, full_name = excluded.full_name,
            company = excluded.company, customer_guid = excluded.customer_guid,
            cash_desk_order = excluded.cash_desk_order, paid = excluded.paid,
            total_with_vat = excluded.total_with_vat, total_without_vat = excluded.total_without_vat,
            total_vat = excluded.total_vat, to_pay = excluded.to_pay, currency = excluded.currency,
            exchange_rate = excluded.exchange_rate, shipping_guid = excluded.shipping_guid,
            shipping_name = excluded.shipping_name, payment_method_guid = excluded.payment_method_guid,
            payment_method_name = excluded.payment_method_name, billing_method_id = excluded.billing_method_id,
            language = excluded.language, vat_payer = excluded.vat_payer, vat_mode = excluded.vat_mode,
            stock_id = excluded.stock_id, billing_address = excluded.billing_address,
            delivery_address = excluded.delivery_address, remark = excluded.remark, admin_url = excluded.admin_url,
            source_hash = excluded.source_hash, synced_at = now(), deleted_at = null
        where o.deleted_at is not null
           or ((o.changed_at is null or excluded.changed_at is null or excluded.changed_at >= o.changed_at)
               and (o.guid, o.created_at, o.changed_at, o.status_id, o.status_name, o.source_id, o.source_name,
                    o.email, o.phone, o.full_name, o.company, o.customer_guid, o.cash_desk_order, o.paid,
                    o.total_with_vat, o.total_without_vat, o.total_vat, o.to_pay, o.currency, o.exchange_rate,
                    o.shipping_guid, o.shipping_name, o.payment_method_guid, o.payment_method_name,
                    o.billing_method_id, o.language, o.vat_payer, o.vat_mode, o.stock_id, o.billing_address,
                    o.delivery_address, o.remark, o.admin_url)
                   is distinct from
                   (excluded.guid, excluded.created_at, excluded.changed_at, excluded.status_id, excluded.status_name,
                    excluded.source_id, excluded.source_name, excluded.email, excluded.phone, excluded.full_name,
                    excluded.company, excluded.customer_guid, excluded.cash_desk_order, excluded.paid,
                    excluded.total_with_vat, excluded.total_without_vat, excluded.total_vat, excluded.to_pay,
                    excluded.currency, excluded.exchange_rate, excluded.shipping_guid, excluded.shipping_name,
                    excluded.payment_method_guid, excluded.payment_method_name, excluded.billing_method_id,
                    excluded.language, excluded.vat_payer, excluded.vat_mode, excluded.stock_id,
                    excluded.billing_address, excluded.delivery_address, excluded.remark, excluded.admin_url))
        returning o.code, o.created_at, (o.xmax = 0) as inserted
    )
    select coalesce(array_agg(code), '{}'), coalesce(array_agg(created_at), '{}'), count(*),
           coalesce(array_agg(code) filter (where not inserted), '{}'),
           coalesce(array_agg(created_at) filter (where not inserted), '{}'),
           coalesce(array_agg(code) filter (where inserted), '{}'),
           coalesce(array_agg(created_at) filter (where inserted), '{}')
    into v_codes, v_created, v_orders, v_updated_codes, v_updated_created, v_new_codes, v_new_created
    from written;

    if v_orders > 0 then
        -- partitions of exactly the quarters these orders fall in (an outlier date costs one)
        perform ops.ensure_partitions_for(v_created);
        -- lines of orders whose creation time changed followed them (the foreign key cascades),
        -- into the default partition when their new quarter is archived: move them where they belong
        if cardinality(v_moved_codes) > 0 then
            perform ops.drain_default_partition();
        end if;
        select coalesce(array_agg(w.code order by w.code), '{}') into v_outliers
        from unnest(v_codes, v_created) w(code, created_at)
        where ops.is_date_outlier(w.created_at);

        -- an updated order that moved in time (its created_at changed): its lines go where the new
        -- time belongs, every column kept (a line soft-deleted earlier keeps its deleted_at). Hot
        -- lines moved with the order (the foreign key cascades the update); those now older than
        -- the hot quarters, and every archived line (no foreign key there), are moved here into the
        -- archive or into sales.order_items. The staged lines are then upserted over them below,
        -- like those of any updated order.
        if cardinality(v_moved_codes) > 0 then
            with moved as (
                select m.code, m.created_at as old_created, w.created_at as new_created
                from unnest(v_moved_codes, v_moved_created) m(code, created_at)
                join unnest(v_codes, v_created) w(code, created_at) on w.code = m.code
            ), lifted as (
                -- the whole line with its new time: jsonb keeps every value exact and every column
                delete from archive.order_items i
                using moved
                where i.shop_id = p_shop_id and i.created_at = moved.old_created and i.order_code = moved.code
                returning to_jsonb(i) || jsonb_build_object('created_at', moved.new_created) as line,
                          moved.new_created >= v_hot_from as hot
            ), sunk as (
                delete from sales.order_items i
                using moved
                where i.shop_id = p_shop_id and i.created_at = moved.new_created and i.order_code = moved.code
                  and moved.new_created < v_hot_from
                returning to_jsonb(i) as line, false as hot
            ), relocated as (
                select * from lifted
                union all
                select * from sunk
            ), to_hot as (
                insert into sales.order_items
                select (jsonb_populate_record(null::sales.order_items, r.line)).*
                from relocated r where r.hot
                on conflict do nothing
            )
            insert into archive.order_items
            select (jsonb_populate_record(null::archive.order_items, r.line)).*
            from relocated r where not r.hot
            on conflict do nothing;
        end if;

        -- lines of new orders: plain inserts (nothing of theirs can exist yet); of updated orders: upserts
        select hot_written, archived_written into v_rows, v_archived
        from ingest.write_order_lines(p_shop_id, p_batch_id, v_new_codes, v_new_created, false);
        v_items := v_items + v_rows;
        select hot_written, archived_written into v_rows, v_rows_archived
        from ingest.write_order_lines(p_shop_id, p_batch_id, v_updated_codes, v_updated_created, true);
        v_items := v_items + v_rows;
        v_archived := v_archived + v_rows_archived;

        -- lines that the new version of an updated order no longer has (new orders have none)
        if cardinality(v_updated_codes) > 0 then
            with gone as (
                update sales.order_items i set deleted_at = now(), synced_at = now()
                from unnest(v_updated_codes, v_updated_created) w(code, created_at)
                where i.shop_id = p_shop_id and i.order_code = w.code and i.created_at = w.created_at
                  and i.deleted_at is null
                  and not exists (select from ingest.stage_order_items s
                                  where s.batch_id = p_batch_id and s.order_code = i.order_code and s.item_id = i.item_id)
                returning 1
            ), gone_archived as (
                update archive.order_items i set deleted_at = now(), synced_at = now()
                from unnest(v_updated_codes, v_updated_created) w(code, created_at)
                where i.shop_id = p_shop_id and i.order_code = w.code and i.created_at = w.created_at
                  and i.deleted_at is null
                  and not exists (select from ingest.stage_order_items s
                                  where s.batch_id = p_batch_id and s.order_code = i.order_code and s.item_id = i.item_id)
                returning 1
            )
            select (select count(*) from gone) + (select count(*) from gone_archived) into v_removed;
        end if;
    end if;

    -- a first import on a fresh database must not be planned blind (ingest.analyze_while_small)
    perform ingest.analyze_while_small('{sales.orders}');
    delete from ingest.stage_order_items where batch_id = p_batch_id;
    delete from ingest.stage_orders where batch_id = p_batch_id;
    return jsonb_build_object('orders_written', v_orders, 'items_written', v_items + v_archived,
                              'items_archived', v_archived, 'items_removed', v_removed,
                              'date_outliers', to_jsonb(v_outliers));
end
$$;

comment on function ingest.apply_orders(bigint, bigint) is
    'Upsert the staged orders of a batch with their lines (old lines into archive.order_items), skip unchanged ones, soft-delete vanished lines; empties the batch';
