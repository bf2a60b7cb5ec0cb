-- Customer intelligence (issue 13 items 2-5, 9): analytics.customer_metrics gets its new key,
-- RFM scores and segments, the CLV / churn model's columns; the per-shop model and RFM state,
-- the RFM segment map (data a merchant can change), and the queue of changed customers that
-- keeps the metrics fresh incrementally. docs/analytics.md explains every definition.
--
-- The key changes: customer_key is now the Shoptet customer GUID as lower-case text for orders
-- that carry a customer_guid, and core.normalize_email(email) for guest orders (no GUID); before,
-- it was the e-mail for everyone. The rows are derived data: they are removed here and written
-- again under the new key by the next refresh (the daily job, or `hub analytics refresh --full`).

-- the table is made again with its columns in a readable order (the names of the old one all
-- stay; average_order is now a generated copy of avg_order_value, the issue's name); its
-- functions are loaded again after the migrations (analytics.top_customers returns its rows)
drop table analytics.customer_metrics cascade;

create table analytics.customer_metrics (
    shop_id                 bigint not null references core.shops (shop_id),
    -- byte-wise ("C"): the RFM ranks break ties by it, in the index order every incremental
    -- refresh walks, and the order of a plain string sort
    customer_key            text collate "C" not null,
    customer_guid           uuid,
    email                   text,
    orders_count            integer not null,
    total_spent             numeric(14,2) not null,
    avg_order_value         numeric(14,2),
    first_order_at          timestamptz,
    last_order_at           timestamptz,
    avg_days_between_orders numeric(12,4),
    recency_score           smallint,
    frequency_score         smallint,
    monetary_score          smallint,
    rfm_segment             text,
    clv                     numeric(14,2),
    churn_risk              numeric(5,4),
    expected_next_order_at  timestamptz,
    rhythm_days             numeric(12,4),
    predicted_orders        numeric(12,4),
    predicted_value         numeric(14,2),
    clv_model               text,
    valued_at               timestamptz,
    computed_at             timestamptz not null default now(),
    average_order           numeric(14,2) generated always as (avg_order_value) stored,
    primary key (shop_id, customer_key),
    constraint customer_metrics_key_normalised check (customer_key is not distinct from core.normalize_email(customer_key)),
    constraint customer_metrics_has_orders check (orders_count > 0),
    constraint customer_metrics_scores_1_to_5 check (
        recency_score between 1 and 5 and frequency_score between 1 and 5 and monetary_score between 1 and 5),
    constraint customer_metrics_churn_is_probability check (churn_risk between 0 and 1)
) with (fillfactor = 80);
-- fillfactor: the daily full refresh rewrites churn, CLV and valued_at of most rows; room on each
-- page keeps those updates HOT (no index touched when no indexed column changed)

-- top customers by spend and by orders (analytics.top_customers, scanned backwards), and the
-- RFM boundary walks of the incremental refresh (analytics.refresh_customer_keys): ascending by
-- (value, customer_key), exactly the order the quintiles use
create index customer_metrics_shop_spent on analytics.customer_metrics (shop_id, total_spent, customer_key);
create index customer_metrics_shop_orders on analytics.customer_metrics (shop_id, orders_count, customer_key);
create index customer_metrics_shop_recency on analytics.customer_metrics (shop_id, last_order_at, customer_key);
-- one person across the shops of a master (analytics.master_customer_metrics)
create index customer_metrics_email on analytics.customer_metrics (email, shop_id) where email is not null;

comment on table analytics.customer_metrics is
    'Per-customer metrics of each shop: counts and spend of counted orders (not cancelled, not deleted), RFM scores and segment, the CLV / churn model''s figures. '
    'Written by analytics.rebuild_customer_metrics (full) and analytics.refresh_customer_keys (incremental); both give the same rows (docs/analytics.md)';
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
comment on column analytics.customer_metrics.average_order is 'The old name of avg_order_value (a generated copy, kept for readers)';
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
comment on column analytics.customer_metrics.rhythm_days is
    'Model: the expected days between orders, ((orders_count - 1) x avg_days_between_orders + shop median) / orders_count, i.e. the own rhythm pulled toward the shop''s median rhythm (analytics.customer_models) by one gap; a one-order customer gets the shop median';
comment on column analytics.customer_metrics.churn_risk is
    'Model: 1 - exp(-days_since_last / rhythm_days), days_since_last = max(0, valued_at - last_order_at) in days: the probability that a still-active buyer with this rhythm would already have ordered again (4 decimals, 0-1)';
comment on column analytics.customer_metrics.expected_next_order_at is
    'Model: last_order_at + rhythm_days; a time before valued_at means the customer is overdue';
comment on column analytics.customer_metrics.predicted_orders is
    'Model: (1 - churn_risk) x horizon_days / rhythm_days: orders expected within the CLV horizon (setting analytics.clv_horizon_days, default 365) after valued_at';
comment on column analytics.customer_metrics.predicted_value is 'Model: round(predicted_orders x avg_order_value, 2), in the shop''s default currency';
comment on column analytics.customer_metrics.clv is 'Customer lifetime value: total_spent + predicted_value (historic value plus the value predicted over the horizon)';
comment on column analytics.customer_metrics.clv_model is 'Which model computed churn_risk, rhythm_days, predicted_* and clv (analytics.customer_models.model of the shop), e.g. rhythm-v1';
comment on column analytics.customer_metrics.valued_at is 'The time the model values the customer at (analytics.customer_models.valued_at of the shop): churn_risk and predictions are as of then';
comment on column analytics.customer_metrics.computed_at is 'When this row was last written (not part of its value: a full and an incremental refresh may write at different times)';

-- the model of each shop: fitted by a full refresh (daily), used as it is by every incremental
-- refresh until the next fit, so that both give the same rows
create table analytics.customer_models (
    shop_id                    bigint primary key references core.shops (shop_id) on delete cascade,
    model                      text not null,
    valued_at                  timestamptz not null,
    horizon_days               integer not null,
    median_days_between_orders numeric(12,4) not null,
    repeat_buyers              integer not null,
    customers                  integer not null,
    params                     jsonb not null default '{}',
    fitted_at                  timestamptz not null default now(),
    constraint customer_models_horizon_positive check (horizon_days > 0),
    constraint customer_models_median_positive check (median_days_between_orders > 0)
);

comment on table analytics.customer_models is
    'The CLV / churn model of each shop as last fitted by a full refresh (analytics.rebuild_customer_metrics with refit): every incremental refresh scores with these values until the next fit';
comment on column analytics.customer_models.model is 'Model name: rhythm-v1 (docs/analytics.md); analytics.customer_metrics.clv_model repeats it';
comment on column analytics.customer_models.valued_at is 'The time the customers are valued at: churn_risk and predictions are as of then (the time of the fit)';
comment on column analytics.customer_models.horizon_days is 'CLV horizon in days, from the setting analytics.clv_horizon_days (default 365) at the fit';
comment on column analytics.customer_models.median_days_between_orders is
    'Median of avg_days_between_orders over the shop''s repeat buyers (percentile_cont 0.5) at the fit, floored at 1 day; the horizon when the shop has no repeat buyer';
comment on column analytics.customer_models.repeat_buyers is 'Customers with at least 2 counted orders at the fit';
comment on column analytics.customer_models.customers is 'Customers (rows of analytics.customer_metrics) at the fit';
comment on column analytics.customer_models.params is 'Further fitted parameters of a model that has them (e.g. a BG/NBD fit), JSON; {} for rhythm-v1';

-- RFM state of each shop: the number of ranked customers and, per score, the (value, key) of the
-- customer at the end of each of the quintiles 1-4 (position b_i = i x (n / 5) + least(i, n % 5),
-- ntile's bucket ends). A customer's score is 1 + the number of these boundaries below its own
-- (value, key); the incremental refresh moves the boundaries exactly (docs/analytics.md)
create table analytics.customer_rfm_bounds (
    shop_id          bigint primary key references core.shops (shop_id) on delete cascade,
    customers        integer not null,
    recency_at       timestamptz[] not null,
    recency_key      text[] collate "C" not null,
    frequency_orders integer[] not null,
    frequency_key    text[] collate "C" not null,
    monetary_spent   numeric(14,2)[] not null,
    monetary_key     text[] collate "C" not null,
    updated_at       timestamptz not null default now(),
    constraint customer_rfm_bounds_four check (
        cardinality(recency_at) = 4 and cardinality(recency_key) = 4 and cardinality(frequency_orders) = 4
        and cardinality(frequency_key) = 4 and cardinality(monetary_spent) = 4 and cardinality(monetary_key) = 4)
);

comment on table analytics.customer_rfm_bounds is
    'Internal RFM state per shop: the customer count and, per score, the (value, customer_key) ending each of the quintiles 1-4 (ntile bucket ends); kept exact by every refresh so the incremental one rescoring only the customers near a moved boundary gives ntile''s scores';
comment on column analytics.customer_rfm_bounds.customers is 'Ranked customers of the shop (its rows in analytics.customer_metrics)';
comment on column analytics.customer_rfm_bounds.recency_at is 'last_order_at of the customers ending recency quintiles 1-4 (with recency_key)';
comment on column analytics.customer_rfm_bounds.frequency_orders is 'orders_count of the customers ending frequency quintiles 1-4 (with frequency_key)';
comment on column analytics.customer_rfm_bounds.monetary_spent is 'total_spent of the customers ending monetary quintiles 1-4 (with monetary_key)';

-- the RFM segment map: data, so that a merchant can change it (docs/analytics.md)
create table analytics.rfm_segment_map (
    shop_id  bigint references core.shops (shop_id) on delete cascade,
    priority integer not null,
    segment  text not null,
    r_min    smallint not null default 1,
    r_max    smallint not null default 5,
    f_min    smallint not null default 1,
    f_max    smallint not null default 5,
    m_min    smallint not null default 1,
    m_max    smallint not null default 5,
    constraint rfm_segment_map_priority unique nulls not distinct (shop_id, priority),
    constraint rfm_segment_map_ranges check (
        r_min between 1 and 5 and r_max between r_min and 5 and f_min between 1 and 5 and f_max between f_min and 5
        and m_min between 1 and 5 and m_max between m_min and 5),
    constraint rfm_segment_map_segment_named check (btrim(segment) <> '')
);

comment on table analytics.rfm_segment_map is
    'RFM segments as rules: a customer gets the segment of the first rule (lowest priority) whose score ranges hold its recency, frequency and monetary scores. '
    'Rows with shop_id null are the default map; a shop with rows of its own uses only those. A change re-segments the shops it concerns at once (trigger)';
comment on column analytics.rfm_segment_map.shop_id is 'The shop whose own map this rule is part of; null: a rule of the default map';
comment on column analytics.rfm_segment_map.priority is 'Rules are tried in ascending priority; the first that holds names the segment';
comment on column analytics.rfm_segment_map.r_min is 'Lowest recency score (1-5) the rule holds for; r_max the highest; likewise f_* (frequency) and m_* (monetary)';

-- the default map: the classic recency x frequency grid, one segment per cell, every one of the
-- 25 cells covered once (monetary is free in the default rules; a shop may narrow it)
insert into analytics.rfm_segment_map (shop_id, priority, segment, r_min, r_max, f_min, f_max) values
    (null, 10, 'champions',          5, 5, 4, 5),
    (null, 20, 'loyal',              3, 4, 4, 5),
    (null, 30, 'potential loyalist', 4, 5, 2, 3),
    (null, 40, 'new',                5, 5, 1, 1),
    (null, 50, 'promising',          4, 4, 1, 1),
    (null, 60, 'needs attention',    3, 3, 1, 3),
    (null, 70, 'can''t lose',        1, 2, 5, 5),
    (null, 80, 'at risk',            1, 2, 3, 4),
    (null, 90, 'hibernating',        2, 2, 1, 2),
    (null, 100, 'lost',              1, 1, 1, 2);

-- customers whose metrics may have changed: every write to sales.orders or sales.customers adds
-- the keys it touched, before and after (statement triggers in db/functions/analytics/); the
-- incremental refresh takes them out (analytics.refresh_changed_customers)
create table analytics.customer_changes (
    shop_id      bigint not null,
    customer_key text collate "C" not null,
    noted_at     timestamptz not null default now()
);
create index customer_changes_shop on analytics.customer_changes (shop_id, customer_key);

comment on table analytics.customer_changes is
    'Queue of customers whose metrics may be stale: (shop, customer_key) of every order or customer row written, old and new key; emptied by analytics.refresh_changed_customers. Duplicates are allowed and folded when taken';
comment on column analytics.customer_changes.noted_at is 'When the write that noted the key happened';
