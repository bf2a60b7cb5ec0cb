-- Queries of runner/inventory.py (`hub analytics refresh`, `hub analytics reorder`).

-- name: refresh
-- one shop: every variant (full), else the variants of orders written since the last refresh
select analytics.refresh_variant_metrics(%(shop_id)s, %(full)s);

-- name: state
select as_of, time_zone, full_refreshed_at, refreshed_at from analytics.variant_demand_state where shop_id = %(shop_id)s;

-- name: summary
-- how many variants sell, need ordering now, cannot be assessed, or look anomalous
select count(*) as variants,
       count(*) filter (where units_per_day_90d > 0) as selling,
       count(*) filter (where order_now) as order_now,
       count(*) filter (where units_per_day_90d > 0 and reorder_point is null) as without_reorder_point,
       -- the "cannot tell" rows of analytics.purchase_recommendations, by its own filter
       count(*) filter (where order_now is null and units_per_day_90d > 0 and stock is not null
                          and reorder_point is null) as cannot_tell,
       count(*) filter (where anomaly) as anomalies
from analytics.variant_metrics
where shop_id = %(shop_id)s;

-- name: recommendations
-- what to order now, fewest days of stock left first
select variant_code, quantity, stock, reorder_point, eoq, days_of_stock_left, units_per_day_90d, lead_time_days,
       supplier_name, reason
from analytics.purchase_recommendations(%(shop_id)s)
limit %(limit)s;

-- name: anomalies
-- variants whose last 7 days lie more than 3 standard errors from their 90-day mean, largest first
select variant_code, units_per_day_7d, units_per_day_90d, demand_stddev, anomaly_z
from analytics.variant_metrics
where shop_id = %(shop_id)s and anomaly
order by abs(anomaly_z) desc, variant_code
limit %(limit)s;
