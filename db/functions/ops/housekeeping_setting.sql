/*
 * ops.housekeeping_setting(p_key, p_default, p_min, p_max): one global housekeeping setting
 * (core.settings, e.g. `hub settings set housekeeping.jobs_days 7`) as whole days or rows: its
 * value, else p_default. A JSON number or numeric text is accepted (core.setting_number). Raises
 * 22023 (invalid_parameter_value) naming the key, the value and the range when it is not a
 * whole number from p_min to p_max, so a typo stops housekeeping instead of deleting too much.
 */
create or replace function ops.housekeeping_setting(p_key text, p_default integer, p_min integer, p_max integer)
returns integer
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_value numeric := core.setting_number(p_key);
begin
    if v_value is null then
        return p_default;
    end if;
    if v_value <> trunc(v_value) or v_value < p_min or v_value > p_max then
        raise exception 'setting % must be a whole number from % to %; it is %', p_key, p_min, p_max, v_value
            using errcode = '22023',
                  hint = format('hub settings set %s %s --type integer (the default), or hub settings delete %s',
                                p_key, p_default, p_key);
    end if;
    return v_value::integer;
end
$$;

comment on function ops.housekeeping_setting(text, integer, integer, integer) is
    'A global housekeeping setting as a whole number (its value, else p_default), checked to lie in [p_min, p_max]; raises 22023 naming key, value and range';
