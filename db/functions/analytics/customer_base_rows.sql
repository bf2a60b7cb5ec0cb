/*
 * analytics.customer_base_rows(p_shop_id, p_before, p_keys, p_ranked): THE computation of the
 * stored customer metrics (analytics.customer_metrics_base rows), pure (reads only):
 *  1. facts per customer from the orders created before p_before (null: all orders):
 *     analytics.customer_facts (counted orders, keys, amounts);
 *  2. with p_ranked: RFM scores ntile(5) over all the shop's customers ordered by (last_order_at,
 *     customer_key), (orders_count, customer_key), (total_spent, customer_key), collation "C"; the
 *     segment from analytics.rfm_segment_cells. Without: scores and segment null (the incremental
 *     refresh scores by the stored quintile boundaries instead), and only p_keys' facts read;
 *  3. only p_keys when given (with p_ranked the other customers' facts are still read, for the ranks).
 * computed_at = now(). The model's figures are not here: the view analytics.customer_metrics
 * computes them when read (analytics.clv_model_score).
 */
create or replace function analytics.customer_base_rows(p_shop_id bigint, p_before timestamptz default null,
                                                        p_keys text[] default null, p_ranked boolean default true)
returns setof analytics.customer_metrics_base
language sql
stable
as $$
    with facts as (
        select f.*
        from analytics.customer_facts(p_shop_id, p_before, case when p_ranked then null else p_keys end) f
    ), ranked as (
        select f.*,
               case when p_ranked then ntile(5) over (order by f.last_order_at, f.customer_key collate "C") end as r,
               case when p_ranked then ntile(5) over (order by f.orders_count, f.customer_key collate "C") end as fr,
               case when p_ranked then ntile(5) over (order by f.total_spent, f.customer_key collate "C") end as m
        from facts f
    )
    select p_shop_id, k.customer_key, k.customer_guid, k.email, k.orders_count, k.total_spent, k.avg_order_value,
           k.first_order_at, k.last_order_at, k.avg_days_between_orders,
           k.r::smallint, k.fr::smallint, k.m::smallint, cell.segment, now()
    from ranked k
    left join analytics.rfm_segment_cells(p_shop_id) cell on cell.r = k.r and cell.f = k.fr and cell.m = k.m
    where p_keys is null or k.customer_key = any (p_keys)
$$;

comment on function analytics.customer_base_rows(bigint, timestamptz, text[], boolean) is
    'The computation of analytics.customer_metrics_base rows (reads only): facts of orders before p_before, RFM ntile scores and segment when p_ranked, only p_keys when given';
