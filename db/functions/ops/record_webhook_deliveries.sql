/*
 * ops.record_webhook_deliveries(p_outcomes, p_counts): add webhook deliveries per outcome
 * (accepted, duplicate, unavailable; parallel arrays) to ops.webhook_delivery_totals. The web
 * app's telemetry calls it every few seconds. Returns the deliveries added.
 */
create or replace function ops.record_webhook_deliveries(p_outcomes text[], p_counts bigint[])
returns bigint
language sql
set search_path = pg_catalog
as $$
    with per_outcome as (
        select d.outcome, sum(d.n)::bigint as n from unnest(p_outcomes, p_counts) as d(outcome, n) group by d.outcome
    ),
    added as (
        insert into ops.webhook_delivery_totals as t (outcome, deliveries)
        select outcome, n from per_outcome
        on conflict (outcome) do update set deliveries = t.deliveries + excluded.deliveries
    )
    select coalesce(sum(n), 0)::bigint from per_outcome;
$$;

comment on function ops.record_webhook_deliveries(text[], bigint[]) is
    'Add webhook deliveries per outcome (accepted, duplicate, unavailable) to ops.webhook_delivery_totals; returns the number added';
