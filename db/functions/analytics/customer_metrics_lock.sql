/*
 * analytics.customer_metrics_lock(p_shop_id): take the transaction-scoped advisory lock under
 * which a shop's customer metrics are written (analytics.rebuild_customer_metrics,
 * analytics.refresh_customer_keys): refreshes of one shop run one after another, since each
 * moves the shop's RFM boundaries from where the previous one left them. Readers take no lock.
 */
create or replace function analytics.customer_metrics_lock(p_shop_id bigint)
returns void
language sql
volatile
set search_path = pg_catalog
as $$
    select pg_advisory_xact_lock(hashtext('analytics.customer_metrics'), hashtext(p_shop_id::text))
$$;

comment on function analytics.customer_metrics_lock(bigint) is
    'Transaction advisory lock serialising the writers of one shop''s customer metrics (readers take none)';
