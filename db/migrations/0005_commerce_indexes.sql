-- The lookups the hub and its users make, each used by a function of db/functions/sales or
-- db/functions/analytics (and measured by `make bench`); see docs/scaling.md for the list.
-- The primary keys already serve: an order by (shop_id, code); a shop's order lines by date
-- (order_items PK leads with shop_id, created_at) and an order's lines (shop_id, created_at,
-- order_code); a customer by (shop_id, guid); a variant by (shop_id, code).

-- a customer's order history, newest first (sales.customer_orders_page)
create index orders_customer_history on sales.orders (shop_id, customer_guid, created_at desc, code desc)
    where customer_guid is not null;

-- order history by e-mail, guests included (sales.email_orders_page), case- and space-insensitive
create index orders_email_history on sales.orders (shop_id, lower(btrim(email)), created_at desc, code desc)
    where email is not null;

-- orders of a shop by status in a date range (sales.orders_by_status_page); also answers
-- "how many orders of each status" per shop
create index orders_shop_status_created on sales.orders (shop_id, status_id, created_at desc, code desc);

-- order lines of a type in a date range (sales.order_items_by_type), per partition
create index order_items_shop_type_created on sales.order_items (shop_id, item_type, created_at);

-- order lines by variant code: sales of a SKU (inventory velocity)
create index order_items_shop_code_created on sales.order_items (shop_id, code, created_at) where code is not null;

-- one account per e-mail in a shop, case- and space-insensitive (sales.customer_by_email)
create unique index customers_shop_email on sales.customers (shop_id, lower(btrim(email)))
    where email is not null and deleted_at is null;

-- customers who registered in a date range (sales.customers_created_page)
create index customers_shop_created on sales.customers (shop_id, created_at desc, guid desc)
    where created_at is not null;

-- the variants of a product (catalog.product_variants)
create index variants_product_code on catalog.variants (shop_id, product_guid, code);

-- a variant code across shops: the master's catalogue overlaid by other shops (catalog.variants_by_code)
create index variants_code on catalog.variants (code);

-- the same index on the archive parent, so archived quarters answer the same queries
create index archive_order_items_shop_type_created on archive.order_items (shop_id, item_type, created_at);
