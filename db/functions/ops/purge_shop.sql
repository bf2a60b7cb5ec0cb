/*
 * ops.purge_shop(p_shop_id): delete a shop and everything the hub holds of it (orders, lines,
 * archived lines, customers, catalogue, metrics, jobs, webhook events, settings). Only for
 * `hub shop remove --purge`; the normal remove keeps the data. Returns rows deleted per table.
 */
create or replace function ops.purge_shop(p_shop_id bigint)
returns jsonb
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_result jsonb := '{}';
    v_table text;
    v_count bigint;
begin
    foreach v_table in array array[
        'archive.order_items', 'sales.order_items', 'sales.orders', 'sales.customers', 'analytics.customer_metrics_base',
        'analytics.customer_changes',
        'analytics.product_pairs', 'analytics.product_popularity', 'analytics.customer_tags',
        'channels.feeds', 'channels.shop_storefronts', 'catalog.categories',
        'catalog.variants', 'catalog.products', 'catalog.suppliers', 'ingest.snapshot_failures',
        'ingest.snapshot_jobs', 'ingest.webhook_pending', 'ingest.webhook_drains', 'ingest.webhook_events',
        'ingest.sync_cursors', 'core.shop_access_tokens',
        'core.settings']
    loop
        if to_regclass(v_table) is not null then
            execute format('delete from %s where shop_id = $1', v_table) using p_shop_id;
            get diagnostics v_count = row_count;
            v_result := v_result || jsonb_build_object(v_table, v_count);
        end if;
    end loop;
    update core.shops set master_shop_id = null where master_shop_id = p_shop_id;
    delete from core.shops where shop_id = p_shop_id;
    return v_result;
end
$$;

comment on function ops.purge_shop(bigint) is
    'Delete a shop with all its data (hub shop remove --purge); returns rows deleted per table';
