/*
 * analytics.refresh_changed_customers(p_shop_id): bring a shop's customer metrics up to date with
 * what changed since the last refresh: takes the shop's keys out of analytics.customer_changes
 * (queued by the triggers on sales.orders and sales.customers: snapshot imports, sync batches,
 * webhook jobs, any other write) and refreshes just those customers
 * (analytics.refresh_customer_keys). A full rebuild with the stored model instead when that is
 * cheaper: more than p_full_above changed keys and more than a tenth of the shop's customers; a
 * rebuild with a new model fit when the shop has no model yet. Under the shop's metrics lock.
 * Returns the summary of what ran ({"mode": "none", "keys": 0} when nothing changed).
 */
create or replace function analytics.refresh_changed_customers(p_shop_id bigint, p_full_above integer default 20000)
returns jsonb
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_keys text[];
    v_customers integer;
    v_has_model boolean;
begin
    perform analytics.customer_metrics_lock(p_shop_id);
    with taken as (
        delete from analytics.customer_changes c where c.shop_id = p_shop_id returning c.customer_key
    )
    select coalesce(array_agg(distinct t.customer_key), '{}') into v_keys from taken t;

    v_has_model := exists (select from analytics.customer_models m where m.shop_id = p_shop_id)
                   and exists (select from analytics.customer_rfm_bounds b where b.shop_id = p_shop_id);
    if not v_has_model then
        if cardinality(v_keys) = 0 and not exists (select from sales.orders o where o.shop_id = p_shop_id) then
            return jsonb_build_object('shop_id', p_shop_id, 'mode', 'none', 'keys', 0);
        end if;
        return analytics.rebuild_customer_metrics(p_shop_id, true) || jsonb_build_object('keys', cardinality(v_keys));
    end if;
    if cardinality(v_keys) = 0 then
        return jsonb_build_object('shop_id', p_shop_id, 'mode', 'none', 'keys', 0);
    end if;
    select b.customers into v_customers from analytics.customer_rfm_bounds b where b.shop_id = p_shop_id;
    if cardinality(v_keys) > p_full_above and cardinality(v_keys) * 10 > v_customers then
        return analytics.rebuild_customer_metrics(p_shop_id, false) || jsonb_build_object('keys', cardinality(v_keys));
    end if;
    return analytics.refresh_customer_keys(p_shop_id, v_keys);
end
$$;

comment on function analytics.refresh_changed_customers(bigint, integer) is
    'Incremental refresh of the customers queued in analytics.customer_changes for a shop (a full rebuild with the stored model when more than p_full_above keys and a tenth of the customers changed); returns a jsonb summary';
