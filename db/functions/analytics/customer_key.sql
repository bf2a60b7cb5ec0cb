/*
 * analytics.customer_key(p_customer_guid, p_email): who an order belongs to in the customer
 * metrics. A registered customer's order (it carries a customer GUID) belongs to the GUID as
 * lower-case text; a guest order (no GUID) to its e-mail as core.normalize_email gives it; null
 * when the order has neither (it then counts for nobody). Collation "C", as
 * analytics.customer_metrics.customer_key. A SQL-standard body so that the planner inlines it.
 *
 * The generated column sales.orders.customer_key stores its result: a change of what it returns
 * needs a migration that rewrites that column (0091_orders_customer_key.sql made it;
 * tests/test_customer_metrics.py checks this file still equals the newest migration's definition).
 */
create or replace function analytics.customer_key(p_customer_guid uuid, p_email text)
returns text
language sql
immutable
parallel safe
return coalesce(pg_catalog.lower(p_customer_guid::text), core.normalize_email(p_email)) collate "C";

comment on function analytics.customer_key(uuid, text) is
    'The customer_key of an order: lower(customer_guid::text) when it has a customer GUID, else core.normalize_email(email); null when neither';
