/*
 * analytics.refresh_customer_metrics(p_shop_id): full refresh, model fitted anew, of one shop's
 * customer metrics, or of every shop's when null: analytics.rebuild_customer_metrics(shop, true)
 * per shop. Kept under its old name for its callers (the daily worker job
 * recalculate_customer_metrics, `hub bench generate`). Returns the number of customers (rows of
 * analytics.customer_metrics) of the shops refreshed.
 */
create or replace function analytics.refresh_customer_metrics(p_shop_id bigint default null)
returns bigint
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_total bigint := 0;
    v_shop bigint;
begin
    for v_shop in
        select s.shop_id from core.shops s where p_shop_id is null or s.shop_id = p_shop_id order by s.shop_id
    loop
        v_total := v_total + (analytics.rebuild_customer_metrics(v_shop, true) ->> 'customers')::bigint;
    end loop;
    return v_total;
end
$$;

comment on function analytics.refresh_customer_metrics(bigint) is
    'Full refresh with a new model fit of one shop''s customer metrics, or of all shops when null (analytics.rebuild_customer_metrics per shop); returns the customers counted';
