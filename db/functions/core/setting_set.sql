/*
 * core.setting_set(p_key, p_value, p_shop_id, p_value_type): create or replace a plain setting.
 * p_value is JSON: '"text"', '42', 'true', '{"a": 1}'. p_value_type defaults from the JSON
 * (string -> text, integral number -> integer, boolean -> boolean, anything else -> json).
 * Returns the stored row's updated_at.
 */
create or replace function core.setting_set(
    p_key text,
    p_value jsonb,
    p_shop_id bigint default null,
    p_value_type text default null
)
returns timestamptz
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_type text := coalesce(p_value_type, case jsonb_typeof(p_value)
        when 'string' then 'text'
        when 'boolean' then 'boolean'
        when 'number' then case when p_value::numeric = trunc(p_value::numeric) then 'integer' else 'json' end
        else 'json' end);
    v_updated_at timestamptz;
    v_constraint text;
begin
    if p_value is null or jsonb_typeof(p_value) = 'null' then
        raise exception 'setting %: value must not be null (use core.setting_delete to remove it)', p_key
            using errcode = '22004';
    end if;
    insert into core.settings as s (shop_id, key, value_type, value)
    values (p_shop_id, p_key, v_type, p_value)
    on conflict on constraint settings_shop_key_unique do update
        set value_type = excluded.value_type, value = excluded.value,
            secret = null, key_fingerprint = null,
            updated_at = now(), updated_by = current_user
    returning s.updated_at into v_updated_at;
    return v_updated_at;
exception
    when check_violation then
        get stacked diagnostics v_constraint = constraint_name;
        if v_constraint = 'settings_key_format' then
            raise exception 'setting key % is not valid (check constraint settings_key_format)', quote_literal(p_key)
                using errcode = '22023',
                      hint = 'a key is lower case letters, digits and _ . : -, starting with a letter, at most 200 characters';
        end if;
        raise exception 'setting %: value % is not of type %', p_key, p_value, v_type
            using errcode = '22023';
end
$$;

comment on function core.setting_set(text, jsonb, bigint, text) is
    'Create or replace a plain setting (global when p_shop_id is null); value as JSON, type inferred unless given';
