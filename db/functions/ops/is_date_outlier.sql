/*
 * ops.is_date_outlier(p_at): whether an order's creation time is implausible — before
 * 2000-01-01 UTC (no e-shop order is that old: a placeholder such as 1970-01-01 or a typo) or
 * more than a year after now (a mistyped year such as 2206). The hub keeps such orders as
 * Shoptet has them (each in the partition of its own quarter) and lists them in
 * ops.orders_date_outliers; ingest.apply_orders reports them as date_outliers.
 *
 * No SET clause on purpose: a plain SQL expression over pg_catalog built-ins that PostgreSQL
 * inlines into the caller's query (an index on created_at then serves it).
 */
create or replace function ops.is_date_outlier(p_at timestamptz)
returns boolean
language sql
stable parallel safe
as $$
    select p_at < '2000-01-01 00:00:00+00'::pg_catalog.timestamptz
        or p_at > pg_catalog.now() + '1 year'::pg_catalog.interval
$$;

comment on function ops.is_date_outlier(timestamptz) is
    'Whether an order creation time is implausible: before 2000 (UTC) or more than a year ahead of now';
