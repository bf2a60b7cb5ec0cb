-- analytics.customer_metrics: one row per customer of a shop, keyed by the normalised e-mail so
-- that guest orders and account orders of the same person count together (and the same person
-- can be followed across shops). Filled set-based by analytics.refresh_customer_metrics.

create table analytics.customer_metrics (
    shop_id        bigint not null references core.shops (shop_id),
    customer_key   text not null,
    customer_guid  uuid,
    orders_count   integer not null,
    total_spent    numeric(14,2) not null,
    average_order  numeric(14,2),
    first_order_at timestamptz,
    last_order_at  timestamptz,
    rfm_segment    text,
    clv            numeric(14,2),
    churn_risk     numeric(5,4),
    computed_at    timestamptz not null default now(),
    primary key (shop_id, customer_key),
    constraint customer_metrics_key_normalised check (customer_key = lower(btrim(customer_key)))
);

comment on table analytics.customer_metrics is
    'Per-customer order metrics of each shop, keyed by normalised e-mail (guest and account orders together); refreshed by analytics.refresh_customer_metrics';
comment on column analytics.customer_metrics.customer_key is 'lower(btrim(e-mail)) of the orders: the same person across guest and account orders, and across shops';
comment on column analytics.customer_metrics.customer_guid is 'Shoptet customer GUID of the latest order that had one; null for guest-only buyers';
comment on column analytics.customer_metrics.orders_count is 'Orders not deleted at the source';
comment on column analytics.customer_metrics.total_spent is 'Sum of total_with_vat converted with each order''s exchange_rate into the shop''s default currency';
comment on column analytics.customer_metrics.average_order is 'total_spent / orders_count';
comment on column analytics.customer_metrics.rfm_segment is 'RFM segment; null until the customer analytics is computed';
comment on column analytics.customer_metrics.clv is 'Customer lifetime value; null until the customer analytics is computed';
comment on column analytics.customer_metrics.churn_risk is 'Probability 0-1 that the customer has churned; null until computed';
comment on column analytics.customer_metrics.computed_at is 'When this row was last recomputed';

-- top customers by spend and by orders (analytics.top_customers)
create index customer_metrics_shop_spent on analytics.customer_metrics (shop_id, total_spent desc, customer_key);
create index customer_metrics_shop_orders on analytics.customer_metrics (shop_id, orders_count desc, customer_key);
