-- Queries of the ingest path (runner/shoptet/ingest.py): staging, applying, the direct COPY of a first load.
-- Table and column names (the {table} and {columns} placeholders) are formatted with psycopg.sql.Identifier.

-- name: apply_orders
select ingest.apply_orders(%(shop_id)s, %(batch_id)s);

-- name: apply_customers
select ingest.apply_customers(%(shop_id)s, %(batch_id)s, %(job_id)s);

-- name: apply_products
select ingest.apply_products(%(shop_id)s, %(batch_id)s);

-- name: copy_from_stdin
copy {table} ({columns}) from stdin;

-- name: unstage
-- what earlier staging tables of a batch received when a later table's COPY failed
delete from {table} where batch_id = %(batch_id)s;

-- name: order_items_hot_from
-- order lines created before this go to archive.order_items
select ops.order_items_hot_from();

-- name: orders_exist
-- does the shop hold any of these orders (then a first load's direct COPY does not apply)
select exists (select from sales.orders where shop_id = %(shop_id)s and code = any (%(codes)s));

-- name: ensure_partitions_for
select ops.ensure_partitions_for(%(quarters)s);

-- name: mark_deleted
select ingest.mark_deleted(%(shop_id)s, %(entity)s, %(keys)s);

-- name: stats_flush
-- this session's table counters reach pg_stat_* when its transaction ends (not up to a second later),
-- so that ingest.analyze_written sees every row written and none is counted again after its ANALYZE
select pg_stat_force_next_flush();

-- name: analyze_written
-- after an import or a sync of an entity: statistics of the tables and partitions it wrote
select ingest.analyze_written(%(entity)s);
