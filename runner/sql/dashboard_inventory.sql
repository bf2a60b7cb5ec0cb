-- Queries of the dashboard's Inventory page (runner/dashboard/pages/inventory.py). Each list is one
-- keyset page; analytics.variant_metrics is computed when read, filtered on the shop.

-- name: state
-- whether the shop's demand was computed, as of which day, and the counts the page headlines
select s.as_of, s.refreshed_at,
       count(*) filter (where m.order_now) as order_now,
       count(*) filter (where m.units_per_day_90d > 0 and m.reorder_point is null and m.stock is not null)
           as without_reorder_point,
       -- the two kinds of rows of analytics.purchase_recommendations (the "Order now" list), counted
       -- by its own filter so that the headline and the list agree
       count(*) filter (where m.order_now is null and m.units_per_day_90d > 0 and m.stock is not null
                          and m.reorder_point is null) as cannot_tell,
       count(*) filter (where m.days_of_stock_left <= %(risk_days)s) as at_risk,
       count(*) filter (where m.anomaly) as anomalies
from analytics.variant_demand_state s
left join analytics.variant_metrics m on m.shop_id = s.shop_id
where s.shop_id = %(shop_id)s
group by s.as_of, s.refreshed_at;

-- name: recommendations
-- what to order (analytics.purchase_recommendations: fewest days of stock left first, then code),
-- one keyset page after (days_of_stock_left, variant_code); rows without days left come last
select r.variant_code, r.quantity, r.reason, r.stock, r.reorder_point, r.eoq, r.days_of_stock_left,
       r.units_per_day_90d, r.lead_time_days, r.supplier_name, v.name as product_name
from analytics.purchase_recommendations(%(shop_id)s) r
left join catalog.variants cv on cv.shop_id = r.shop_id and cv.code = r.variant_code
left join catalog.products v on v.shop_id = r.shop_id and v.guid = cv.product_guid
where %(after_variant_code)s::text is null
   or (case when %(after_days_of_stock_left)s::numeric is null
            then r.days_of_stock_left is null and r.variant_code > %(after_variant_code)s::text
            else r.days_of_stock_left is null
                 or (r.days_of_stock_left, r.variant_code) > (%(after_days_of_stock_left)s::numeric, %(after_variant_code)s::text) end)
order by r.days_of_stock_left nulls last, r.variant_code
limit %(limit)s;

-- name: at_risk
-- selling variants whose stock lasts at most risk_days days at the 90-day rate, fewest days first,
-- one keyset page after (days_of_stock_left, variant_code)
select m.variant_code, m.stock, m.units_per_day_90d, m.days_of_stock_left, m.reorder_point, m.lead_time_days,
       m.order_now, m.supplier_name, p.name as product_name
from analytics.variant_metrics m
left join catalog.products p on p.shop_id = m.shop_id and p.guid = m.product_guid
where m.shop_id = %(shop_id)s
  and m.days_of_stock_left <= %(risk_days)s
  and (%(after_variant_code)s::text is null
       or (m.days_of_stock_left, m.variant_code) > (%(after_days_of_stock_left)s::numeric, %(after_variant_code)s::text))
order by m.days_of_stock_left, m.variant_code
limit %(limit)s;

-- name: anomalies
-- variants whose last 7 days lie more than 3 standard errors from their 90-day mean, largest |z|
-- first, one keyset page after (|anomaly_z|, variant_code)
select m.variant_code, m.units_per_day_7d, m.units_per_day_90d, m.demand_stddev, m.anomaly_z,
       abs(m.anomaly_z) as anomaly_size, m.stock,
       p.name as product_name
from analytics.variant_metrics m
left join catalog.products p on p.shop_id = m.shop_id and p.guid = m.product_guid
where m.shop_id = %(shop_id)s
  and m.anomaly
  and (%(after_variant_code)s::text is null
       or (abs(m.anomaly_z), m.variant_code) < (%(after_anomaly_size)s::numeric, %(after_variant_code)s::text))
order by abs(m.anomaly_z) desc, m.variant_code desc
limit %(limit)s;
