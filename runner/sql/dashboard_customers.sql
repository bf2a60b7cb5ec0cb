-- Queries of the dashboard's Customers and Orders pages (runner/dashboard/pages/customers.py).
-- Every list is one keyset page: the caller passes the last row's sort key (null for the first
-- page) and asks for limit + 1 rows to know whether a next page exists.

-- name: search_email
-- customers of a shop with this e-mail, normalised by core.normalize_email: the metrics rows (guests
-- and registered buyers; index customer_metrics_shop_email) and registered accounts without a
-- counted order yet (sales.customer_by_email; index customers_shop_email); each name by primary key
with by_metrics as (
    select m.customer_key, m.customer_guid, m.email, m.orders_count, m.total_spent, m.last_order_at,
           m.rfm_segment,
           (select c.full_name from sales.customers c
            where c.shop_id = m.shop_id and c.guid = m.customer_guid) as full_name
    from analytics.customer_metrics_base m
    where m.shop_id = %(shop_id)s and m.email = core.normalize_email(%(email)s)
), by_account as (
    select lower(c.guid::text) collate "C" as customer_key, c.guid as customer_guid, c.email,
           null::integer as orders_count, null::numeric as total_spent, null::timestamptz as last_order_at,
           null::text as rfm_segment, c.full_name
    from sales.customer_by_email(%(shop_id)s, %(email)s) c
    where not exists (select from by_metrics b where b.customer_key = lower(c.guid::text) collate "C")
)
select r.*
from (select * from by_metrics union all select * from by_account) r
order by r.total_spent desc nulls last, r.customer_key
limit %(limit)s;

-- name: top_customers
-- a shop's customers by total spent, highest first, one keyset page (index customer_metrics_shop_spent
-- read backwards); after_total_spent / after_customer_key: the last row of the previous page
select m.customer_key, m.customer_guid, m.email, m.orders_count, m.total_spent, m.last_order_at,
       m.rfm_segment, c.full_name
from analytics.customer_metrics_base m
left join sales.customers c on c.shop_id = m.shop_id and c.guid = m.customer_guid
where m.shop_id = %(shop_id)s
  and (%(after_total_spent)s::numeric is null
       or (m.total_spent, m.customer_key) < (%(after_total_spent)s::numeric, %(after_customer_key)s::text collate "C"))
order by m.total_spent desc, m.customer_key desc
limit %(limit)s;

-- name: customer
-- one customer: the metrics of analytics.customer_metrics (null columns when they have no counted
-- order) and the registered account when the key is a customer GUID
with k as (
    select %(customer_key)s::text collate "C" as customer_key
)
select k.customer_key,
       coalesce(m.customer_guid, c.guid) as customer_guid,
       coalesce(c.email, m.email) as email,
       c.full_name, c.company, c.phone, c.customer_group, c.created_at as registered_at, c.deleted_at,
       m.orders_count, m.total_spent, m.avg_order_value, m.first_order_at, m.last_order_at,
       m.avg_days_between_orders, m.recency_score, m.frequency_score, m.monetary_score, m.rfm_segment,
       m.clv, m.churn_risk, m.expected_next_order_at, m.rhythm_days, m.predicted_orders, m.predicted_value,
       m.clv_model, m.computed_at,
       (m.customer_key is not null) as has_metrics
from k
left join analytics.customer_metrics m on m.shop_id = %(shop_id)s and m.customer_key = k.customer_key
left join sales.customers c
       on c.shop_id = %(shop_id)s
      and k.customer_key ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      and c.guid = (case when k.customer_key ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                         then k.customer_key end)::uuid
where m.customer_key is not null or c.guid is not null;

-- name: customer_tags
-- the customer's tags (analytics.customer_tags, index customer_tags_customer) with their rule's description
select t.tag, t.tagged_at, r.description
from analytics.customer_tags t
left join analytics.tag_rules r on r.shop_id = t.shop_id and r.name = t.tag
where t.shop_id = %(shop_id)s and t.customer_key = %(customer_key)s::text collate "C"
order by t.tag;

-- name: customer_orders
-- a customer's orders (every order whose customer_key is theirs, cancelled and deleted ones included
-- and marked), newest first, one keyset page. Index orders_customer_key finds the customer's orders;
-- they are few per customer, so sorting them is cheap. Product lines are counted hot or archived
-- (sales.order_items_all; the order's created_at prunes both sides to one partition).
select o.code, o.created_at, o.status_id, o.status_name, o.total_with_vat, o.currency, o.paid,
       o.deleted_at, o.status_id = any (analytics.cancelled_status_ids(o.shop_id)) as cancelled,
       (select count(*) from sales.order_items_all i
        where i.shop_id = o.shop_id and i.created_at = o.created_at and i.order_code = o.code
          and i.deleted_at is null and i.item_type in ('product', 'bazar', 'product-set', 'gift')) as product_lines
from sales.orders o
where o.shop_id = %(shop_id)s
  and o.customer_key = %(customer_key)s::text
  and (%(after_created_at)s::timestamptz is null
       or (o.created_at, o.code) < (%(after_created_at)s::timestamptz, %(after_code)s::text))
order by o.created_at desc, o.code desc
limit %(limit)s;

-- name: order
-- one order with its customer's key (for the link back)
select o.code, o.guid, o.created_at, o.changed_at, o.status_id, o.status_name, o.source_name, o.email,
       o.phone, o.full_name, o.company, o.customer_guid, o.customer_key, o.paid, o.total_with_vat,
       o.total_without_vat, o.total_vat, o.to_pay, o.currency, o.exchange_rate, o.shipping_name,
       o.payment_method_name, o.billing_address, o.delivery_address, o.remark, o.synced_at, o.deleted_at,
       o.status_id = any (analytics.cancelled_status_ids(o.shop_id)) as cancelled
from sales.orders o
where o.shop_id = %(shop_id)s and o.code = %(code)s;

-- name: order_items
-- the order's lines (hot or archived) by item id, one keyset page (sales.order_items_of)
select i.item_id, i.item_type, i.code, i.name, i.variant_name, i.amount, i.amount_unit, i.unit_price_with_vat,
       i.total_with_vat, i.vat_rate, i.status_name, i.deleted_at
from sales.order_items_of(%(shop_id)s, %(code)s, %(after_item_id)s::bigint, %(limit)s::integer) i;

-- name: search_fuzzy
-- sales.search_customers(shop_id, q, limit) (docs/search.md):
-- its matches (name, e-mail, phone, company; typos allowed), best first, with their metrics and
-- what matched: the field and the tier of its rank (3 exact, 2 .. 3 the start, below 2 a typo)
select lower(s.guid::text) collate "C" as customer_key, s.guid as customer_guid, s.email, s.full_name,
       m.orders_count, m.total_spent, m.last_order_at, m.rfm_segment,
       s.matched_field, case when s.rank >= 3 then 'exact' when s.rank >= 2 then 'start' else 'typo' end as matched_how
from sales.search_customers(%(shop_id)s, %(q)s, %(limit)s) s
left join analytics.customer_metrics_base m
       on m.shop_id = %(shop_id)s and m.customer_key = lower(s.guid::text) collate "C"
order by s.rank desc, s.full_name, s.guid;
