/*
 * analytics.clv_horizon_days(p_shop_id): the CLV horizon of a shop in days (integer > 0): how
 * far ahead analytics.customer_metrics.predicted_orders / predicted_value / clv look. Source: the
 * setting analytics.clv_horizon_days (the shop's own value, else the global one; a JSON integer);
 * default 365. Raises 22023 (invalid_parameter_value) naming the shop and the value when the
 * setting is not an integer between 1 and 3650.
 */
create or replace function analytics.clv_horizon_days(p_shop_id bigint)
returns integer
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_value jsonb := core.setting_get('analytics.clv_horizon_days', p_shop_id);
begin
    if v_value is null then
        return 365;
    end if;
    if jsonb_typeof(v_value) <> 'number' or v_value::numeric <> trunc(v_value::numeric)
       or v_value::numeric not between 1 and 3650 then
        raise exception 'setting analytics.clv_horizon_days of shop % must be a whole number of days between 1 and 3650, e.g. 365; it is %',
            p_shop_id, v_value
            using errcode = '22023';
    end if;
    return v_value::integer;
end
$$;

comment on function analytics.clv_horizon_days(bigint) is
    'CLV horizon of a shop in days: setting analytics.clv_horizon_days (integer 1-3650), default 365; raises 22023 on another value';
