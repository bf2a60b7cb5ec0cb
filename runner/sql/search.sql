-- Queries of runner/search.py: the search functions of issue 16 (docs/search.md).

-- name: shop_exists
select exists (select from core.shops where shop_id = %(shop_id)s);

-- name: customers
select guid, email, full_name, rank, matched_field
from sales.search_customers(%(shop_id)s, %(q)s, %(limit)s);

-- name: orders
select code, created_at, email, full_name, rank, matched_field
from sales.search_orders(%(shop_id)s, %(q)s, %(limit)s);

-- name: products
select product_guid, variant_code, name, rank, matched_field
from catalog.search_products(%(shop_id)s, %(q)s, %(limit)s);
