/*
 * analytics.compute_customer_metrics(p_shop_id, p_as_of, p_keys): what analytics.customer_metrics
 * of a shop would hold if it was computed at p_as_of from the orders created before p_as_of only
 * (a backtest's cutoff): facts, RFM over all the shop's customers of then, the rhythm-v1 model
 * fitted on that data (median rhythm of then, horizon from the setting) and valued at p_as_of.
 * p_keys: return only these customers (null: all). Reads only; writes nothing.
 * Returns rows of analytics.customer_metrics (analytics.customer_metrics_rows).
 */
create or replace function analytics.compute_customer_metrics(p_shop_id bigint, p_as_of timestamptz default now(),
                                                              p_keys text[] default null)
returns setof analytics.customer_metrics
language sql
stable
as $$
    select * from analytics.customer_metrics_rows(p_shop_id, p_as_of, p_as_of, null, null, p_keys, true)
$$;

comment on function analytics.compute_customer_metrics(bigint, timestamptz, text[]) is
    'Customer metrics of a shop as computed at p_as_of from orders created before it (model fitted then, valued at p_as_of); only p_keys when given; reads only';
