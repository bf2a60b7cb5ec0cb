/*
 * analytics.bgnbd_predict(r, alpha, a, b, x, t_x, t, churn_days, horizon_days): the BG/NBD model
 * (Fader, Hardie & Lee 2005, "Counting your customers the easy way") for one customer, one row.
 * Parameters: the fit of runner/clv_fit.py, r and alpha (days) of the Gamma purchase rates, a and b
 * of the Beta dropout probabilities (all > 0, a <> 1). The customer: x repeat orders
 * (orders_count - 1), t_x days from the first to the last order, t (T) days from the first order to
 * the time valued at, fractional days. churn_days h and horizon_days H in days.
 *
 *   p_alive          P(still buying) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
 *                    (their equation 11)
 *   p_no_order       P(no order within h days) = 1 - p_alive + p_alive ((alpha + T) / (alpha + T + h))^(r + x):
 *                    gone, or alive with no order (the rate's posterior is Gamma(r + x, alpha + T));
 *                    the churn score the backtest measures (h = its horizon)
 *   expected_orders  E[orders within H] (their equation 10)
 *                    = (a + b + x - 1) / (a - 1)
 *                      x [1 - ((alpha + T) / (alpha + T + H))^(r + x) 2F1(r + x, b + x; a + b + x - 1; z)] x p_alive,
 *                    z = H / (alpha + T + H). The series of that 2F1 (analytics.hyp2f1) has terms
 *                    growing like k^(r + x - a) z^k: where a <= r + x + 1 (the usual a near 1 and
 *                    a repeat buyer) it is computed with Euler's transformation
 *                    2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z), i.e.
 *                    [1 - (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z)], whose terms
 *                    shrink like k^(a - r - x - 2) z^k from the first; else as written
 *   (powers below e^-700 count as e^-700: no underflow error; only a customer with hundreds of
 *   orders gets there)
 *   rhythm_days      (alpha + T) / (r + x): days between orders at the expected purchase rate of a
 *                    customer still buying (the rate's posterior mean is (r + x) / (alpha + T));
 *                    r acts as prior orders and alpha as prior days, like rhythm-v1's one prior gap
 *
 * Double precision, unrounded. Plain SQL without a search_path setting on purpose: it is inlined
 * into analytics.customer_model_score and the view analytics.customer_metrics (a SET clause would
 * make every row a function call); it names only pg_catalog arithmetic and analytics.hyp2f1.
 * Created by migration 0130 as well (the view needs it before db/functions/ is loaded); a test
 * keeps the two definitions equal. Parameters are checked where they are stored
 * (analytics.customer_models) or passed (analytics.bgnbd_score).
 */
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
