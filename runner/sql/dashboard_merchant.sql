-- Queries shared by the dashboard's merchant pages (Customers, Segments, Inventory;
-- runner/dashboard/pages/merchant.py): which shop a page shows.

-- name: shops
-- every shop, for the shop picker: the master first, then by id
select s.shop_id, s.name, s.timezone
from core.shops s
order by s.is_master desc, s.shop_id;

-- name: shop
-- the shop's name, time zone and the currency its amounts are in: the currency of its newest order
-- in the default currency (exchange rate 1: analytics amounts are converted to it; a backward scan
-- of orders_shop_created_code_unique), null without orders; whether customer metrics were computed;
-- when the customer metrics (RFM bounds) and the inventory figures were last refreshed
select s.shop_id, s.name, s.timezone,
       (select o.currency
        from sales.orders o
        where o.shop_id = s.shop_id and o.exchange_rate = 1 and o.currency is not null
        order by o.created_at desc, o.code desc
        limit 1) as currency,
       exists (select from analytics.customer_metrics_base m where m.shop_id = s.shop_id) as has_metrics,
       -- versions of the shop's computed figures: a refresh changes them (the pages' caches key on them)
       (select b.updated_at from analytics.customer_rfm_bounds b where b.shop_id = s.shop_id) as metrics_version,
       (select d.refreshed_at from analytics.variant_demand_state d where d.shop_id = s.shop_id) as inventory_version
from core.shops s
where s.shop_id = %(shop_id)s;
