-- The live customer metrics use the model each shop's backtest chose (issue 13 item 5: "say which
-- model each shop uses"; "a model is kept only where it beats the naive baseline").
--
-- analytics.customer_models keeps, beside the rhythm-v1 figures fitted in SQL (shop median rhythm,
-- horizon), the shop's live BG/NBD fit (runner/clv_fit.py on the stored customer facts, by the
-- daily full refresh, `hub analytics refresh --full` and `hub analytics backtest` when BG/NBD is
-- chosen). analytics.customer_model_choice says per shop which model computes churn_risk
-- (churn_model) and which the expected orders, next order and CLV (orders_model): the one
-- analytics.clv_models marks as used for it, where it can be computed (BG/NBD needs a live fit);
-- rhythm-v1 without a backtest. The view analytics.customer_metrics scores each customer with them
-- (analytics.customer_model_score) and names them (clv_model, new column churn_model).
--
-- The functions the view calls are created here as well (db/functions/ loads after the
-- migrations); their files hold the same definitions (a test compares them).

alter table analytics.customer_models
    add column bgnbd_r double precision,
    add column bgnbd_alpha double precision,
    add column bgnbd_a double precision,
    add column bgnbd_b double precision,
    add column bgnbd_fit jsonb,
    add column bgnbd_fitted_at timestamptz,
    add constraint customer_models_bgnbd_complete check (
        num_nulls(bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b) in (0, 4)
        and coalesce(bgnbd_r > 0 and bgnbd_alpha > 0 and bgnbd_a > 0 and bgnbd_b > 0 and bgnbd_a <> 1, true));

comment on column analytics.customer_models.model is
    'The model fitted in SQL by the full refresh: rhythm-v1 (median rhythm and horizon, which the baseline uses too). Which model each measure uses: analytics.customer_model_choice';
comment on column analytics.customer_models.bgnbd_r is
    'Live BG/NBD fit (runner/clv_fit.py, maximum likelihood on the stored customer facts at bgnbd_fitted_at): r, the shape of the Gamma purchase rates; null while the shop has no fit. With bgnbd_alpha, bgnbd_a, bgnbd_b all set or all null';
comment on column analytics.customer_models.bgnbd_alpha is 'Live BG/NBD fit: alpha, the scale of the Gamma purchase rates, in days';
comment on column analytics.customer_models.bgnbd_a is 'Live BG/NBD fit: a of the Beta dropout probability (never 1: the expected orders divide by a - 1)';
comment on column analytics.customer_models.bgnbd_b is 'Live BG/NBD fit: b of the Beta dropout probability';
comment on column analytics.customer_models.bgnbd_fit is
    'The last live BG/NBD fit attempt as JSON: the parameters with customers, repeat_buyers and log_likelihood, or {"error": why not} (too few repeat buyers, no optimum; the previous parameters then stay)';
comment on column analytics.customer_models.bgnbd_fitted_at is 'When the BG/NBD parameters were fitted (the customer facts they saw: as of then)';

create or replace view analytics.customer_model_choice as
select m.shop_id,
       case when c.churn = 'bgnbd-v1' and m.bgnbd_r is not null then 'bgnbd-v1'
            when c.churn = 'baseline' then 'baseline'
            else 'rhythm-v1' end as churn_model,
       case when c.orders = 'bgnbd-v1' and m.bgnbd_r is not null then 'bgnbd-v1'
            when c.orders = 'baseline' then 'baseline'
            else 'rhythm-v1' end as orders_model,
       c.churn as chosen_churn_model,
       c.orders as chosen_orders_model,
       c.churn_days,
       m.horizon_days,
       m.median_days_between_orders,
       m.bgnbd_r, m.bgnbd_alpha, m.bgnbd_a, m.bgnbd_b,
       m.fitted_at,
       m.bgnbd_fitted_at,
       c.backtested_at
from analytics.customer_models m
left join lateral (
    select min(x.model) filter (where 'churn' = any (x.used_for)) as churn,
           min(x.model) filter (where 'orders' = any (x.used_for)) as orders,
           min(x.horizon_days) filter (where 'churn' = any (x.used_for)) as churn_days,
           max(x.backtested_at) as backtested_at
    from analytics.clv_models x
    where x.shop_id = m.shop_id
) c on true;

comment on view analytics.customer_model_choice is
    'Which model each shop''s customer metrics use (a view; one row per shop with a fitted model, analytics.customer_models): churn_model for churn_risk, orders_model for the expected orders, next order and CLV. '
    'The model analytics.clv_models marks as used for the measure (the backtest''s choice: the best model where it beats the naive baseline, else the baseline) where it can be computed; bgnbd-v1 needs a live fit (bgnbd_r ...), else rhythm-v1; rhythm-v1 without a backtest';
comment on column analytics.customer_model_choice.churn_model is 'The model that computes churn_risk: rhythm-v1, baseline or bgnbd-v1';
comment on column analytics.customer_model_choice.orders_model is
    'The model that computes predicted_orders and what follows (rhythm_days, expected_next_order_at, predicted_value, clv): rhythm-v1, baseline or bgnbd-v1';
comment on column analytics.customer_model_choice.chosen_churn_model is 'What the last backtest chose for churn (analytics.clv_models.used_for); null without a backtest. Differs from churn_model while BG/NBD is chosen but not fitted live';
comment on column analytics.customer_model_choice.chosen_orders_model is 'What the last backtest chose for orders; null without a backtest';
comment on column analytics.customer_model_choice.churn_days is
    'The horizon in days of the backtest that chose the churn model: a BG/NBD churn_risk is P(no order within it), the score whose AUC the backtest measured';
comment on column analytics.customer_model_choice.horizon_days is 'CLV horizon in days (analytics.customer_models.horizon_days): predicted orders and value are within it';
comment on column analytics.customer_model_choice.backtested_at is 'When the shop was last backtested (null: never)';

create or replace function analytics.hyp2f1(p_a double precision, p_b double precision, p_c double precision,
                                            p_z double precision)
returns double precision
language plpgsql
immutable
strict
parallel safe
set search_path = pg_catalog
as $$
declare
    v_term double precision := 1;  -- t_k, the first term not yet added
    v_sum double precision := 0;
    v_k double precision := 0;
begin
    if p_z < 0 or p_z >= 1 then
        raise exception 'analytics.hyp2f1: z must be in [0, 1), got %', p_z using errcode = '22003';
    end if;
    loop
        -- t_k + ... + t_(k+7)
        v_sum := v_sum + v_term *
            (1 + (p_a + v_k) * (p_b + v_k) / ((p_c + v_k) * (v_k + 1)) * p_z *
            (1 + (p_a + v_k + 1) * (p_b + v_k + 1) / ((p_c + v_k + 1) * (v_k + 2)) * p_z *
            (1 + (p_a + v_k + 2) * (p_b + v_k + 2) / ((p_c + v_k + 2) * (v_k + 3)) * p_z *
            (1 + (p_a + v_k + 3) * (p_b + v_k + 3) / ((p_c + v_k + 3) * (v_k + 4)) * p_z *
            (1 + (p_a + v_k + 4) * (p_b + v_k + 4) / ((p_c + v_k + 4) * (v_k + 5)) * p_z *
            (1 + (p_a + v_k + 5) * (p_b + v_k + 5) / ((p_c + v_k + 5) * (v_k + 6)) * p_z *
            (1 + (p_a + v_k + 6) * (p_b + v_k + 6) / ((p_c + v_k + 6) * (v_k + 7)) * p_z *
             1)))))));
        -- t_(k+8)
        v_term := v_term
            * ((p_a + v_k) * (p_b + v_k) / ((p_c + v_k) * (v_k + 1)) * p_z)
            * ((p_a + v_k + 1) * (p_b + v_k + 1) / ((p_c + v_k + 1) * (v_k + 2)) * p_z)
            * ((p_a + v_k + 2) * (p_b + v_k + 2) / ((p_c + v_k + 2) * (v_k + 3)) * p_z)
            * ((p_a + v_k + 3) * (p_b + v_k + 3) / ((p_c + v_k + 3) * (v_k + 4)) * p_z)
            * ((p_a + v_k + 4) * (p_b + v_k + 4) / ((p_c + v_k + 4) * (v_k + 5)) * p_z)
            * ((p_a + v_k + 5) * (p_b + v_k + 5) / ((p_c + v_k + 5) * (v_k + 6)) * p_z)
            * ((p_a + v_k + 6) * (p_b + v_k + 6) / ((p_c + v_k + 6) * (v_k + 7)) * p_z)
            * ((p_a + v_k + 7) * (p_b + v_k + 7) / ((p_c + v_k + 7) * (v_k + 8)) * p_z);
        v_k := v_k + 8;
        exit when abs(v_term) <= 1e-15 * abs(v_sum);
        if v_k >= 100000 then
            raise exception 'analytics.hyp2f1(%, %, %, %): no convergence in 100000 terms', p_a, p_b, p_c, p_z
                using errcode = '22003';
        end if;
    end loop;
    return v_sum;
end
$$;

comment on function analytics.hyp2f1(double precision, double precision, double precision, double precision) is
    'Gauss hypergeometric 2F1(a, b; c; z) for 0 <= z < 1 by its power series, eight terms per step (terms until < 1e-15 of the sum); raises 22003 outside or without convergence';

create or replace function analytics.baseline_model_score(
    p_orders_count integer, p_first_order_at timestamptz, p_last_order_at timestamptz, p_valued_at timestamptz,
    p_median_days numeric, p_horizon_days integer)
returns table (recency_days double precision, churn_risk double precision, predicted_orders double precision)
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    select d.recency_days,
           1 - exp(greatest(-700, -d.recency_days / p_median_days::double precision)),
           p_orders_count * p_horizon_days
               / greatest(extract(epoch from p_valued_at - p_first_order_at)::double precision / 86400, p_horizon_days)
    from (select greatest(0, extract(epoch from p_valued_at - p_last_order_at)::double precision / 86400) as recency_days) d
$$;

comment on function analytics.baseline_model_score(integer, timestamptz, timestamptz, timestamptz, numeric, integer) is
    'Naive baseline of one customer: recency_days = days since the last order (the churn score), churn_risk = 1 - exp(-recency_days / shop median rhythm), predicted_orders = orders_count x H / max(days since first order, H); double precision';

create or replace function analytics.bgnbd_predict(
    p_r double precision, p_alpha double precision, p_a double precision, p_b double precision,
    p_x integer, p_t_x double precision, p_t double precision, p_churn_days double precision,
    p_horizon_days double precision)
returns table (p_alive double precision, p_no_order double precision, expected_orders double precision,
               rhythm_days double precision)
language sql
immutable
parallel safe
as $$
    select al.p_alive,
           1 - al.p_alive
             + al.p_alive * exp(greatest(-700, (p_r + p_x) * ln((p_alpha + p_t) / (p_alpha + p_t + p_churn_days)))),
           (p_a + p_b + p_x - 1) / (p_a - 1)
               * (1 - case when p_a > p_r + p_x + 1
                           then exp(greatest(-700, (p_r + p_x) * ln((p_alpha + p_t) / (p_alpha + p_t + p_horizon_days))))
                                * analytics.hyp2f1(p_r + p_x, p_b + p_x, p_a + p_b + p_x - 1,
                                                   p_horizon_days / (p_alpha + p_t + p_horizon_days))
                           else exp(greatest(-700, (p_a - 1) * ln((p_alpha + p_t) / (p_alpha + p_t + p_horizon_days))))
                                * analytics.hyp2f1(p_a + p_b - 1 - p_r, p_a - 1, p_a + p_b + p_x - 1,
                                                   p_horizon_days / (p_alpha + p_t + p_horizon_days))
                      end)
               * al.p_alive,
           (p_alpha + p_t) / (p_r + p_x)
    from (select case when p_x > 0
                      -- the odds of having dropped out, as a logarithm: a long silence does not overflow
                      then 1 / (1 + exp(least(700, ln(p_a / (p_b + p_x - 1))
                                                   + (p_r + p_x) * ln((p_alpha + p_t) / (p_alpha + p_t_x)))))
                      else 1 end as p_alive) al
$$;

comment on function analytics.bgnbd_predict(double precision, double precision, double precision, double precision, integer, double precision, double precision, double precision, double precision) is
    'BG/NBD (Fader, Hardie & Lee 2005) of one customer from fitted r, alpha (days), a, b and x repeat orders, t_x, T (days): p_alive, p_no_order = P(no order within churn_days), expected_orders within horizon_days (eq. 10, Euler-transformed 2F1), rhythm_days = (alpha + T) / (r + x); double precision';

create or replace function analytics.customer_model_score(
    p_churn_model text, p_orders_model text,
    p_orders_count integer, p_avg_order_value numeric, p_first_order_at timestamptz, p_last_order_at timestamptz,
    p_valued_at timestamptz, p_median_days numeric, p_horizon_days integer, p_churn_days integer,
    p_bgnbd_r double precision, p_bgnbd_alpha double precision, p_bgnbd_a double precision,
    p_bgnbd_b double precision)
returns table (rhythm_days numeric, churn_risk numeric, expected_next_order_at timestamptz,
               predicted_orders numeric, predicted_value numeric)
language sql
immutable
as $$
    select o.rhythm_days,
           case p_churn_model
               when 'bgnbd-v1' then round(bg.p_no_order::numeric, 4)
               when 'baseline' then round((1 - exp(greatest(-700, -d.silence / p_median_days::double precision)))::numeric, 4)
               else rv.churn_risk
           end,
           p_last_order_at + make_interval(secs => (o.rhythm_days * 86400)::double precision),
           o.predicted_orders,
           round(o.predicted_orders * p_avg_order_value, 2)
    from analytics.clv_model_score(p_orders_count, p_avg_order_value, p_first_order_at, p_last_order_at,
                                   p_valued_at, p_median_days, p_horizon_days) rv
    cross join lateral (
        select extract(epoch from p_last_order_at - p_first_order_at)::double precision / 86400 as t_x,
               extract(epoch from p_valued_at - p_first_order_at)::double precision / 86400 as age,
               greatest(0, extract(epoch from p_valued_at - p_last_order_at)::double precision / 86400) as silence
    ) d
    cross join lateral analytics.bgnbd_predict(p_bgnbd_r, p_bgnbd_alpha, p_bgnbd_a, p_bgnbd_b, p_orders_count - 1,
                                               d.t_x, greatest(d.age, d.t_x), p_churn_days, p_horizon_days) bg
    cross join lateral (
        select case p_orders_model
                   when 'bgnbd-v1' then round(bg.expected_orders::numeric, 4)
                   when 'baseline' then round((p_orders_count * p_horizon_days / greatest(d.age, p_horizon_days))::numeric, 4)
                   else rv.predicted_orders
               end as predicted_orders,
               case p_orders_model
                   when 'bgnbd-v1' then round(bg.rhythm_days::numeric, 4)
                   when 'baseline' then round((greatest(d.age, p_horizon_days) / p_orders_count)::numeric, 4)
                   else rv.rhythm_days
               end as rhythm_days
        offset 0  -- computed once per row: the view reads predicted_orders three times (clv, value, itself)
    ) o
$$;

comment on function analytics.customer_model_score(text, text, integer, numeric, timestamptz, timestamptz, timestamptz, numeric, integer, integer, double precision, double precision, double precision, double precision) is
    'Model figures of one customer with the shop''s models for churn and for orders (rhythm-v1, baseline or bgnbd-v1; others count as rhythm-v1): rhythm_days, churn_risk (4 decimals), expected_next_order_at = last + rhythm, predicted_orders (4 decimals) within the CLV horizon, predicted_value (2 decimals); only the chosen model is computed';

create or replace view analytics.customer_metrics as
select b.shop_id, b.customer_key, b.customer_guid, b.email, b.orders_count, b.total_spent, b.avg_order_value,
       b.first_order_at, b.last_order_at, b.avg_days_between_orders, b.recency_score, b.frequency_score,
       b.monetary_score, b.rfm_segment,
       b.total_spent + s.predicted_value as clv,
       s.churn_risk, s.expected_next_order_at, s.rhythm_days, s.predicted_orders, s.predicted_value,
       u.orders_model as clv_model,
       now() as valued_at,
       b.computed_at,
       b.avg_order_value as average_order,
       u.churn_model
from analytics.customer_metrics_base b
left join analytics.customer_model_choice u on u.shop_id = b.shop_id
left join lateral analytics.customer_model_score(
    u.churn_model, u.orders_model, b.orders_count, b.avg_order_value, b.first_order_at, b.last_order_at, now(),
    u.median_days_between_orders, u.horizon_days, u.churn_days, u.bgnbd_r, u.bgnbd_alpha, u.bgnbd_a, u.bgnbd_b) s on true;

comment on view analytics.customer_metrics is
    'Per-customer metrics of each shop (a view): the stored facts, RFM scores and segment of analytics.customer_metrics_base, and the model figures computed as of now() with the models the shop uses (analytics.customer_model_choice: the backtest''s choice, rhythm-v1 without one; analytics.customer_model_score; docs/analytics.md)';
comment on column analytics.customer_metrics.churn_risk is
    'Model (churn_model), as of valued_at, 0-1, 4 decimals. rhythm-v1: 1 - exp(-days since last order / rhythm_days); baseline: 1 - exp(-days since last order / shop median rhythm); bgnbd-v1: P(no order within the backtest''s horizon)';
comment on column analytics.customer_metrics.expected_next_order_at is
    'Model (clv_model): last_order_at + rhythm_days; a time before valued_at means the customer is overdue';
comment on column analytics.customer_metrics.rhythm_days is
    'Model (clv_model): expected days between orders. rhythm-v1: round(((last - first) days + shop median) / orders_count, 4); baseline: max(days since first order, horizon) / orders_count; bgnbd-v1: (alpha + days since first order) / (r + orders_count - 1)';
comment on column analytics.customer_metrics.predicted_orders is
    'Model (clv_model): orders expected within the CLV horizon (analytics.customer_models.horizon_days) after valued_at, 4 decimals. rhythm-v1: (1 - churn risk) x horizon / rhythm_days; baseline: the past rate; bgnbd-v1: E[orders within the horizon] (Fader, Hardie & Lee 2005, eq. 10)';
comment on column analytics.customer_metrics.predicted_value is 'Model (clv_model): round(predicted_orders x avg_order_value, 2), in the shop''s default currency';
comment on column analytics.customer_metrics.clv_model is
    'The model of predicted_orders, predicted_value, clv, rhythm_days and expected_next_order_at (analytics.customer_model_choice.orders_model): rhythm-v1, baseline or bgnbd-v1';
comment on column analytics.customer_metrics.churn_model is
    'The model of churn_risk (analytics.customer_model_choice.churn_model): rhythm-v1, baseline or bgnbd-v1';
