/*
 * analytics.bgnbd_score(p_params, p_x, p_t_x, p_t, p_horizon_days): the BG/NBD model (Fader,
 * Hardie & Lee 2005) for one customer, one row. p_params: the fit of runner/clv_fit.py, JSON
 * {"r", "alpha", "a", "b"} with alpha in days. The customer: p_x repeat orders (orders_count - 1),
 * p_t_x days from the first to the last order, p_t days from the first order to the time valued
 * at; p_horizon_days H.
 *
 *   p_alive          P(still buying) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
 *                    (their equation 11)
 *   p_no_order       P(no order within H) = 1 - p_alive + p_alive ((alpha + T) / (alpha + T + H))^(r + x):
 *                    gone, or alive with no order (lambda's posterior is Gamma(r + x, alpha + T));
 *                    the backtest's churn score
 *   expected_orders  E[orders within H] = (a + b + x - 1) / (a - 1)
 *                    x [1 - ((alpha + T) / (alpha + T + H))^(r + x) 2F1(r + x, b + x; a + b + x - 1; H / (alpha + T + H))]
 *                    x p_alive (their equation 10; analytics.hyp2f1)
 *
 * Double precision. Raises 22023 when p_params lacks a parameter or has one that is not positive.
 */
create or replace function analytics.bgnbd_score(p_params jsonb, p_x integer, p_t_x double precision,
                                                 p_t double precision, p_horizon_days integer)
returns table (p_alive double precision, p_no_order double precision, expected_orders double precision)
language plpgsql
immutable
parallel safe
set search_path = pg_catalog
as $$
declare
    v_r double precision := (p_params ->> 'r')::double precision;
    v_alpha double precision := (p_params ->> 'alpha')::double precision;
    v_a double precision := (p_params ->> 'a')::double precision;
    v_b double precision := (p_params ->> 'b')::double precision;
    v_alive double precision;
    v_stay double precision;
begin
    if v_r is null or v_alpha is null or v_a is null or v_b is null
       or v_r <= 0 or v_alpha <= 0 or v_a <= 0 or v_b <= 0 then
        raise exception 'analytics.bgnbd_score: the parameters need positive r, alpha, a and b, got %', p_params
            using errcode = '22023';
    end if;
    -- the odds of having dropped out, as a logarithm so that a long silence does not overflow
    v_alive := case when p_x > 0
                    then 1 / (1 + exp(least(700, ln(v_a / (v_b + p_x - 1))
                                                 + (v_r + p_x) * ln((v_alpha + p_t) / (v_alpha + p_t_x)))))
                    else 1 end;
    v_stay := exp((v_r + p_x) * ln((v_alpha + p_t) / (v_alpha + p_t + p_horizon_days)));
    p_alive := v_alive;
    p_no_order := 1 - v_alive + v_alive * v_stay;
    expected_orders := (v_a + v_b + p_x - 1) / (v_a - 1)
                       * (1 - v_stay * analytics.hyp2f1(v_r + p_x, v_b + p_x, v_a + v_b + p_x - 1,
                                                        p_horizon_days / (v_alpha + p_t + p_horizon_days)))
                       * v_alive;
    return next;
end
$$;

comment on function analytics.bgnbd_score(jsonb, integer, double precision, double precision, integer) is
    'BG/NBD (Fader, Hardie & Lee 2005) of one customer from fitted {r, alpha (days), a, b}: p_alive, p_no_order = P(no order within the horizon), expected_orders within it; raises 22023 on missing or non-positive parameters';
