-- Queries of the dashboard's Segments page (runner/dashboard/pages/segments.py).

-- name: segment_sizes
-- RFM segments of a shop: customers, their total spent (shop currency) and orders, largest revenue
-- first; customers that no rule names are the segment null. Index-only scan of
-- customer_metrics_shop_segment.
select m.rfm_segment as segment,
       count(*) as customers,
       sum(m.total_spent) as total_spent,
       sum(m.orders_count) as orders,
       round(sum(m.total_spent) / nullif(sum(m.orders_count), 0), 2) as avg_order_value
from analytics.customer_metrics_base m
where m.shop_id = %(shop_id)s
group by m.rfm_segment
order by sum(m.total_spent) desc, m.rfm_segment;

-- name: segment_customers
-- customers of one segment (null: customers no rule names), by total spent highest first, one keyset
-- page (index customer_metrics_shop_segment read backwards); churn risk and CLV from the view
select m.customer_key, m.customer_guid, m.email, m.orders_count, m.total_spent, m.last_order_at,
       m.recency_score, m.frequency_score, m.monetary_score, m.churn_risk, m.clv, c.full_name
from analytics.customer_metrics m
left join sales.customers c on c.shop_id = m.shop_id and c.guid = m.customer_guid
where m.shop_id = %(shop_id)s
  and m.rfm_segment is not distinct from %(segment)s::text
  and (%(after_total_spent)s::numeric is null
       or (m.total_spent, m.customer_key) < (%(after_total_spent)s::numeric, %(after_customer_key)s::text collate "C"))
order by m.total_spent desc, m.customer_key desc
limit %(limit)s;
