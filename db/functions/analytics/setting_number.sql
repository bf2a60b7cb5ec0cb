/*
 * analytics.setting_number(p_shop_id, p_key, p_default, p_min, p_max, p_integer): a numeric
 * analytics setting of a shop (its own value, else the global one, else p_default), checked to be
 * a JSON number in [p_min, p_max] (a null bound: unbounded) and, with p_integer, a whole number.
 * Raises 22023 (invalid_parameter_value) naming the setting, the shop, the value and what was
 * expected, so a typo is found instead of silently used.
 */
create or replace function analytics.setting_number(
    p_shop_id bigint,
    p_key text,
    p_default numeric,
    p_min numeric default null,
    p_max numeric default null,
    p_integer boolean default false)
returns numeric
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_value jsonb := core.setting_get(p_key, p_shop_id);
    v_number numeric;
begin
    if v_value is null then
        return p_default;
    end if;
    if jsonb_typeof(v_value) = 'number' then
        v_number := v_value::numeric;
    end if;
    if v_number is null
       or (p_integer and v_number <> trunc(v_number))
       or v_number < p_min or v_number > p_max then
        raise exception 'setting % of shop % must be % between % and %; it is %',
            p_key, p_shop_id, case when p_integer then 'an integer' else 'a number' end,
            coalesce(p_min::text, '-infinity'), coalesce(p_max::text, 'infinity'), v_value
            using errcode = '22023';
    end if;
    return v_number;
end
$$;

comment on function analytics.setting_number(bigint, text, numeric, numeric, numeric, boolean) is
    'A numeric analytics setting of a shop (shop value, else global, else p_default), checked against [p_min, p_max] and p_integer; raises 22023 naming setting, shop and value';
