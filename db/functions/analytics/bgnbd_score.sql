/*
 * analytics.bgnbd_score(p_params, p_x, p_t_x, p_t, p_horizon_days): the BG/NBD model (Fader,
 * Hardie & Lee 2005) for one customer, one row, as the backtest uses it: p_params is the fit of
 * runner/clv_fit.py, JSON {"r", "alpha", "a", "b"} with alpha in days; p_x repeat orders
 * (orders_count - 1), p_t_x days from the first to the last order, p_t days from the first order
 * to the time valued at; p_horizon_days H, for both the churn score and the expected orders.
 * Returns p_alive, p_no_order = P(no order within H), expected_orders within H: the formulas of
 * analytics.bgnbd_predict (which the live metrics use with typed parameters).
 *
 * Double precision. Raises 22023 when p_params lacks a parameter, has one that is not positive,
 * or a = 1 (the expected orders divide by a - 1).
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
begin
    if v_r is null or v_alpha is null or v_a is null or v_b is null
       or v_r <= 0 or v_alpha <= 0 or v_a <= 0 or v_b <= 0 or v_a = 1 then
        raise exception 'analytics.bgnbd_score: the parameters need positive r, alpha, a and b, a <> 1, got %', p_params
            using errcode = '22023';
    end if;
    return query
    select s.p_alive, s.p_no_order, s.expected_orders
    from analytics.bgnbd_predict(v_r, v_alpha, v_a, v_b, p_x, p_t_x, p_t, p_horizon_days, p_horizon_days) s;
end
$$;

comment on function analytics.bgnbd_score(jsonb, integer, double precision, double precision, integer) is
    'BG/NBD (Fader, Hardie & Lee 2005) of one customer from fitted {r, alpha (days), a, b}: p_alive, p_no_order = P(no order within the horizon), expected_orders within it (analytics.bgnbd_predict); raises 22023 on missing or non-positive parameters or a = 1';
