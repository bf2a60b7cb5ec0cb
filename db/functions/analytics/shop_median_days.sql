/*
 * analytics.shop_median_days(p_days, p_horizon_days): the shop's typical purchase rhythm for the
 * rhythm-v1 model, in days: the median (percentile_disc 0.5: with an even count, the lower of
 * the two middle values; exact, no interpolation) of p_days, the avg_days_between_orders of the
 * shop's repeat buyers, floored at 1 day; p_horizon_days when there is no repeat buyer.
 */
create or replace function analytics.shop_median_days(p_days numeric[], p_horizon_days integer)
returns numeric
language sql
immutable
parallel safe
return coalesce(greatest(1, (select percentile_disc(0.5) within group (order by d)
                             from pg_catalog.unnest(p_days) d where d is not null)),
                p_horizon_days);

comment on function analytics.shop_median_days(numeric[], integer) is
    'Shop median rhythm in days: greatest(1, percentile_disc(0.5) of the repeat buyers'' avg_days_between_orders), the horizon when there is none';
