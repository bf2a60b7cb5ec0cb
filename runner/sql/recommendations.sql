-- Queries of runner/recommendations.py (`hub analytics pairs`, the daily worker job).

-- name: shops
-- the shops to refresh: one, or every shop of the hub
select shop_id from core.shops where %(shop_id)s::bigint is null or shop_id = %(shop_id)s::bigint order by shop_id;

-- name: refresh_pairs
-- one shop's frequently-bought-together statistics; null thresholds: the shop's settings
select shop_id, baskets, products, pairs, min_support, min_orders, days, refreshed_at, duration_ms
from analytics.refresh_product_pairs(%(shop_id)s, %(min_support)s, %(min_orders)s, %(days)s);
