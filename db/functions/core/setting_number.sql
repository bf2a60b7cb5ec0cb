/*
 * core.setting_number(p_key, p_shop_id): a plain setting read as a number (the shop's own value,
 * else the global one; null when unset). Accepts a JSON number or a JSON string holding one
 * (`hub settings set KEY 0.97` stores text by default), so both typings work. Raises 22023
 * (invalid_parameter_value) naming the key, the shop and the value when it is not a number.
 */
create or replace function core.setting_number(p_key text, p_shop_id bigint default null)
returns numeric
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_value jsonb := core.setting_get(p_key, p_shop_id);
begin
    if v_value is null or jsonb_typeof(v_value) = 'null' then
        return null;
    elsif jsonb_typeof(v_value) = 'number' then
        return v_value::numeric;
    elsif jsonb_typeof(v_value) = 'string' and btrim(v_value #>> '{}') ~ '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$' then
        return btrim(v_value #>> '{}')::numeric;
    end if;
    raise exception 'setting % of shop % must be a number; it is %', p_key, coalesce(p_shop_id::text, '(global)'), v_value
        using errcode = '22023';
end
$$;

comment on function core.setting_number(text, bigint) is
    'A setting as numeric (JSON number or numeric text; shop value, else global, else null); raises 22023 naming key, shop and value otherwise';
