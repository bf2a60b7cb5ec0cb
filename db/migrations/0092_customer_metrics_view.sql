-- analytics.customer_metrics becomes a VIEW over the stored table analytics.customer_metrics_base
-- (the same columns, in the same order): what depends only on a customer's orders and on the
-- shop's ranking (counts, spend, dates, RFM scores and segment) is stored and refreshed; what
-- depends on the time and on the shop's fitted model (rhythm_days, churn_risk,
-- expected_next_order_at, predicted_*, clv) is computed when read, as of now(), from the stored
-- facts and analytics.customer_models by analytics.clv_model_score.
--
-- Why: the model's figures change for nearly every customer every day (the silence grows) and at
-- every fit; stored, each daily refresh rewrote every row (half a minute of writes at the seeds'
-- 1.1 M customers on 2 cores, measured). Computed when read, a full refresh writes only the rows
-- whose orders or rank changed, churn risk is always current, and a fit changes one row.
-- Reading costs a few microseconds a row (an exp() and some numeric arithmetic).

-- the rollup view reads the columns that move (db/functions/ makes it again)
drop view if exists analytics.master_customer_metrics;

alter table analytics.customer_metrics rename to customer_metrics_base;
alter table analytics.customer_metrics_base
    drop column average_order,
    drop column clv,
    drop column churn_risk,
    drop column expected_next_order_at,
    drop column rhythm_days,
    drop column predicted_orders,
    drop column predicted_value,
    drop column clv_model,
    drop column valued_at;

-- rows change only when a customer's orders or rank change now: no room needed for HOT updates
alter table analytics.customer_metrics_base set (fillfactor = 90);

comment on table analytics.customer_metrics_base is
    'The stored part of analytics.customer_metrics (read that view): per-customer facts of counted orders, RFM scores and segment. '
    'Written by analytics.rebuild_customer_metrics (full) and analytics.refresh_customer_keys (incremental), which give the same rows';
comment on column analytics.customer_metrics_base.computed_at is 'When this row was last written (not part of its value: a full and an incremental refresh may write at different times)';

-- the model is fitted, not valued: the time a customer is valued at is the time of reading
alter table analytics.customer_models drop column valued_at;
comment on table analytics.customer_models is
    'The CLV / churn model of each shop as last fitted by a full refresh with refit (analytics.rebuild_customer_metrics): the view analytics.customer_metrics scores every customer with it, as of the time of reading';
comment on column analytics.customer_models.fitted_at is 'When the model was fitted (the data it saw: every counted order then)';

drop function if exists analytics.customer_metrics_rows(bigint, timestamptz, timestamptz, numeric, integer, text[], boolean);
drop function if exists analytics.customer_model_score(integer, numeric, timestamptz, numeric, timestamptz, numeric, integer);
drop function if exists analytics.compute_customer_metrics(bigint, timestamptz, text[]);
drop function if exists analytics.top_customers(bigint, integer, text);

create or replace function analytics.clv_model_score(
    p_orders_count integer, p_avg_order_value numeric, p_first_order_at timestamptz, p_last_order_at timestamptz,
    p_valued_at timestamptz, p_median_days numeric, p_horizon_days integer)
returns table (rhythm_days numeric, churn_risk numeric, expected_next_order_at timestamptz,
               predicted_orders numeric, predicted_value numeric)
language sql
immutable
as $$
    select r.rhythm_days, c.churn_risk,
           p_last_order_at + make_interval(secs => (r.rhythm_days * 86400)::double precision),
           o.predicted_orders,
           round(o.predicted_orders * p_avg_order_value, 2)
    from (select round((extract(epoch from p_last_order_at - p_first_order_at) / 86400 + p_median_days)
                       / p_orders_count, 4) as rhythm_days) r
    cross join lateral (
        select round((1 - exp(-greatest(0, extract(epoch from p_valued_at - p_last_order_at))::double precision
                              / 86400 / r.rhythm_days::double precision))::numeric, 4) as churn_risk
    ) c
    cross join lateral (
        select round((1 - c.churn_risk) * p_horizon_days / r.rhythm_days, 4) as predicted_orders
    ) o
$$;


create view analytics.customer_metrics as
select b.shop_id, b.customer_key, b.customer_guid, b.email, b.orders_count, b.total_spent, b.avg_order_value,
       b.first_order_at, b.last_order_at, b.avg_days_between_orders, b.recency_score, b.frequency_score,
       b.monetary_score, b.rfm_segment,
       b.total_spent + s.predicted_value as clv,
       s.churn_risk, s.expected_next_order_at, s.rhythm_days, s.predicted_orders, s.predicted_value,
       m.model as clv_model,
       now() as valued_at,
       b.computed_at,
       b.avg_order_value as average_order
from analytics.customer_metrics_base b
left join analytics.customer_models m on m.shop_id = b.shop_id
left join lateral analytics.clv_model_score(b.orders_count, b.avg_order_value, b.first_order_at, b.last_order_at,
                                             now(), m.median_days_between_orders, m.horizon_days) s on true;

comment on view analytics.customer_metrics is
    'Per-customer metrics of each shop (a view): the stored facts, RFM scores and segment of analytics.customer_metrics_base, and the rhythm-v1 model''s figures computed as of now() with the shop''s analytics.customer_models (docs/analytics.md)';
comment on column analytics.customer_metrics.customer_key is
    'lower(customer_guid::text) for orders with a customer GUID (registered customers), else core.normalize_email(email) (guests); collation "C"';
comment on column analytics.customer_metrics.customer_guid is 'The Shoptet customer GUID of a registered customer (customer_key names it); null for guests';
comment on column analytics.customer_metrics.email is
    'The person''s normalised e-mail: the guest''s e-mail, or the registered customer''s account e-mail (sales.customers.email), else the e-mail of their latest counted order; matches one person across the shops of a master';
comment on column analytics.customer_metrics.orders_count is
    'Counted orders: not cancelled (status not in analytics.cancelled_status_ids(shop)) and not deleted at the source (deleted_at null); always > 0 (a customer without a counted order has no row)';
comment on column analytics.customer_metrics.total_spent is
    'Sum over counted orders of round(total_with_vat x exchange_rate, 2), each order rounded half-up before summing: the amount in the shop''s default currency (a missing rate counts as 1, a missing total as 0)';
comment on column analytics.customer_metrics.avg_order_value is 'round(total_spent / orders_count, 2), in the shop''s default currency';
comment on column analytics.customer_metrics.first_order_at is 'Earliest created_at among the counted orders';
comment on column analytics.customer_metrics.last_order_at is 'Latest created_at among the counted orders';
comment on column analytics.customer_metrics.avg_days_between_orders is
    'Days (4 decimals) between first and last counted order divided by (orders_count - 1): the customer''s own purchase rhythm; null for a one-order customer';
comment on column analytics.customer_metrics.recency_score is
    'RFM recency 1-5: ntile(5) over the shop''s customers ordered by (last_order_at, customer_key); 5 = the most recent fifth';
comment on column analytics.customer_metrics.frequency_score is
    'RFM frequency 1-5: ntile(5) over the shop''s customers ordered by (orders_count, customer_key); 5 = the most orders';
comment on column analytics.customer_metrics.monetary_score is
    'RFM monetary 1-5: ntile(5) over the shop''s customers ordered by (total_spent, customer_key); 5 = the highest spend';
comment on column analytics.customer_metrics.rfm_segment is
    'Named segment of the (recency, frequency, monetary) scores from analytics.rfm_segment_map (the shop''s own rules, else the default ones): the first rule by priority whose ranges hold; null when no rule does';
comment on column analytics.customer_metrics.clv is 'Customer lifetime value: total_spent + predicted_value (historic value plus the value predicted over the horizon)';
comment on column analytics.customer_metrics.churn_risk is
    'Model, as of valued_at: round(1 - exp(-days since last order / rhythm_days), 4): the probability that a still-active buyer with this rhythm would already have ordered again (0-1)';
comment on column analytics.customer_metrics.expected_next_order_at is
    'Model: last_order_at + rhythm_days; a time before valued_at means the customer is overdue';
comment on column analytics.customer_metrics.rhythm_days is
    'Model: expected days between orders, round(((last - first) days + shop median) / orders_count, 4): the own rhythm pulled toward the shop''s median (analytics.customer_models) by one gap; a one-order customer gets the shop median';
comment on column analytics.customer_metrics.predicted_orders is
    'Model: round((1 - churn_risk) x horizon_days / rhythm_days, 4): orders expected within the CLV horizon (setting analytics.clv_horizon_days, default 365, at the fit) after valued_at';
comment on column analytics.customer_metrics.predicted_value is 'Model: round(predicted_orders x avg_order_value, 2), in the shop''s default currency';
comment on column analytics.customer_metrics.clv_model is 'The model of the shop (analytics.customer_models.model), e.g. rhythm-v1';
comment on column analytics.customer_metrics.valued_at is 'The time the customer is valued at: now() of the reading transaction';
comment on column analytics.customer_metrics.computed_at is 'When the stored row was last written';
comment on column analytics.customer_metrics.average_order is 'The old name of avg_order_value, kept for readers';
