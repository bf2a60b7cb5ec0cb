-- Which CLV / churn model each shop uses, chosen by backtest (issue 13 item 5: "a model is kept
-- only where it beats the naive baseline"). analytics.choose_clv_model runs a backtest
-- (analytics.backtest) and writes here, per shop and model, the figures of the latest one and
-- what the model is used for; analytics.clv_model_for(shop, measure) reads the choice.

create table analytics.clv_models (
    shop_id             bigint not null references core.shops (shop_id) on delete cascade,
    model               text not null,
    params              jsonb not null default '{}',
    cutoff              date not null,
    horizon_days        integer not null,
    customers           integer not null,
    churned             integer not null,
    churn_auc           double precision,
    baseline_churn_auc  double precision,
    orders_mae          double precision not null,
    baseline_orders_mae double precision not null,
    used_for            text[] not null default '{}',
    backtested_at       timestamptz not null default now(),
    chosen_at           timestamptz,
    primary key (shop_id, model),
    constraint clv_models_used_for_known check (used_for <@ array['churn', 'orders']),
    constraint clv_models_horizon_positive check (horizon_days > 0)
);

comment on table analytics.clv_models is
    'The CLV / churn models of each shop as last backtested (analytics.choose_clv_model): the figures of the backtest beside the naive baseline''s, and what each model is used for. '
    'One row per (shop, model), the naive baseline included (model baseline); analytics.clv_model_for reads the choice';
comment on column analytics.clv_models.model is
    'Model name: baseline (recency alone for churn, the customer''s past rate for orders), rhythm-v1 (analytics.customer_model_score), bgnbd-v1 (BG/NBD; params holds its fit)';
comment on column analytics.clv_models.params is 'Parameters the model was fitted with for the backtest, JSON ({} for models without fitted parameters)';
comment on column analytics.clv_models.cutoff is 'The backtest''s cutoff: a day of the shop''s calendar; the model saw only orders created before its local midnight';
comment on column analytics.clv_models.horizon_days is 'The backtest''s horizon in days after the cutoff: the orders the predictions were compared with';
comment on column analytics.clv_models.customers is 'Customers with a counted order before the cutoff (the backtest''s population)';
comment on column analytics.clv_models.churned is 'Of them, customers without a counted order within the horizon (the positives of the churn classifier)';
comment on column analytics.clv_models.churn_auc is
    'ROC AUC of the model''s churn score as a classifier of "no order within the horizon" (analytics.roc_auc; 0.5 = chance, 1 = perfect); null when everyone or no one churned';
comment on column analytics.clv_models.baseline_churn_auc is 'ROC AUC of the baseline: days since the last order alone';
comment on column analytics.clv_models.orders_mae is 'Mean absolute error of the model''s expected orders within the horizon against the orders placed (analytics.mean_absolute_error), orders per customer';
comment on column analytics.clv_models.baseline_orders_mae is
    'Mean absolute error of the baseline: the customer''s past rate, orders_count x horizon / greatest(days since first order, horizon)';
comment on column analytics.clv_models.used_for is
    'What the shop uses this model for: churn (churn_risk) and / or orders (expected orders, CLV, next order). A model other than baseline is used for a measure only where it beats the baseline on it (higher AUC; lower MAE) and no other model beats it by more';
comment on column analytics.clv_models.backtested_at is 'When the backtest ran';
comment on column analytics.clv_models.chosen_at is 'When this model was last given a use (used_for not empty); null while it has none';
