-- Queries of the dashboard benchmark (bench/web_bench.py, `hub bench web`): which shop, customer,
-- order and segment its page URLs name.

-- name: subjects
-- the shop with the most customers with metrics (else the lowest shop id), its customer with the most
-- orders, that customer's newest order, its largest segment and a registered customer's name
with shop as (
    select s.shop_id
    from core.shops s
    left join analytics.customer_models m on m.shop_id = s.shop_id
    order by m.customers desc nulls last, s.shop_id
    limit 1
), customer as (
    select m.customer_key, m.email
    from analytics.customer_metrics_base m, shop
    where m.shop_id = shop.shop_id and m.email is not null
    order by m.orders_count desc, m.customer_key desc
    limit 1
)
select shop.shop_id,
       customer.customer_key,
       customer.email,
       (select o.code from sales.orders o
        where o.shop_id = shop.shop_id and o.customer_key = customer.customer_key
        order by o.created_at desc, o.code desc limit 1) as order_code,
       (select m.rfm_segment from analytics.customer_metrics_base m
        where m.shop_id = shop.shop_id and m.rfm_segment is not null
        group by m.rfm_segment order by count(*) desc, m.rfm_segment limit 1) as segment,
       (select c.full_name from sales.customers c
        where c.shop_id = shop.shop_id and c.full_name is not null and c.deleted_at is null
        order by c.guid limit 1) as full_name
from shop
left join customer on true;
