/*
 * core.setting_get(p_key, p_shop_id): the value of a plain setting as JSON, or null when unset.
 * For a shop, its own value wins over the global one. A secret raises an error: use
 * core.setting_get_secret.
 */
create or replace function core.setting_get(p_key text, p_shop_id bigint default null)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_row core.settings;
begin
    select * into v_row
    from core.settings s
    where s.key = p_key and (s.shop_id = p_shop_id or s.shop_id is null)
    order by s.shop_id nulls last
    limit 1;
    if v_row.is_secret then
        raise exception 'setting % is a secret: read it with core.setting_get_secret', p_key
            using errcode = '42501';
    end if;
    return v_row.value;
end
$$;

comment on function core.setting_get(text, bigint) is
    'Value of a plain setting as JSON (shop value, else global, else null); errors on a secret';
