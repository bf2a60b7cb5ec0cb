-- Queries of runner/analytics.py (`hub analytics`).

-- name: shops
-- the shops to refresh: one, or every shop of the hub
select shop_id from core.shops where %(shop_id)s::bigint is null or shop_id = %(shop_id)s::bigint order by shop_id;

-- name: shop_exists
select exists (select from core.shops where shop_id = %(shop_id)s);

-- name: check_segment
-- the shop's RFM segment names; raises 22023 listing them when %(segment)s is not one of them
select analytics.check_rfm_segments(%(shop_id)s, array[%(segment)s::text]);

-- name: rebuild
select analytics.rebuild_customer_metrics(%(shop_id)s, true);

-- name: refresh_changed
select analytics.refresh_changed_customers(%(shop_id)s);

-- name: segments
-- segment sizes of a shop: customers, their share of the shop, spend, mean CLV and churn risk
select * from (
    select coalesce(rfm_segment, '(none)') as segment, count(*) as customers,
           round(100.0 * count(*) / sum(count(*)) over (), 1) as percent,
           sum(total_spent) as total_spent, round(avg(clv), 2) as avg_clv, round(avg(churn_risk), 4) as avg_churn_risk
    from analytics.customer_metrics
    where shop_id = %(shop_id)s
    group by rfm_segment
) s
where %(segment)s::text is null or s.segment = %(segment)s::text
order by s.customers desc, s.segment;

-- name: top_customers
-- the shop's (or the segment's) customers of the highest lifetime value
select customer_key, email, orders_count, total_spent, last_order_at, recency_score, frequency_score,
       monetary_score, rfm_segment, clv, churn_risk, expected_next_order_at
from analytics.customer_metrics
where shop_id = %(shop_id)s and (%(segment)s::text is null or rfm_segment = %(segment)s::text)
order by clv desc nulls last, customer_key desc
limit %(limit)s;

-- name: model
select model, horizon_days, median_days_between_orders, repeat_buyers, customers, fitted_at
from analytics.customer_models where shop_id = %(shop_id)s;

-- name: pending_changes
select count(distinct customer_key) from analytics.customer_changes where shop_id = %(shop_id)s;

-- name: defer_refresh
-- the workers' refresh of the shop's changed customers, queued (one waits at most)
select analytics.defer_refresh(%(shop_id)s);

-- name: defer_inventory_refresh
-- the workers' refresh of the shop's inventory figures (recalculate_inventory), queued (one waits at most)
select analytics.defer_inventory_refresh(%(shop_id)s);
