/*
 * analytics.clock_tag_rules(p_shop_id): the names (sorted, text[]; empty when none) of the shop's
 * tag rules whose result can change with the clock alone: a {"days_ago": n} value, or a metric
 * that analytics.customer_metrics computes when read (the model's churn_risk, clv,
 * expected_next_order_at, ...: any column not stored in analytics.customer_metrics_base). The
 * others change only when a customer's stored row does, so a full refresh re-tags them for the
 * customers it changed and re-evaluates just these for everyone (analytics.rebuild_customer_metrics).
 */
create or replace function analytics.clock_tag_rules(p_shop_id bigint)
returns text[]
language sql
stable
set search_path = pg_catalog
as $$
    select coalesce(array_agg(r.name order by r.name), '{}')
    from analytics.tag_rules r
    where r.shop_id = p_shop_id
      and (jsonb_path_exists(r.condition, 'lax $.**.days_ago')
           or exists (
               select from jsonb_path_query(r.condition, 'lax $.**.metric') m (metric)
               where not exists (
                   select from pg_attribute a
                   where a.attrelid = to_regclass('analytics.customer_metrics_base')
                     and a.attname = m.metric #>> '{}' and a.attnum > 0 and not a.attisdropped)))
$$;

comment on function analytics.clock_tag_rules(bigint) is
    'Names of a shop''s tag rules that depend on the time of evaluation (a days_ago value, or a metric the view computes on read), text[]';
