/*
 * core.setting_set_secret(p_key, p_value, p_shop_id, p_secret_key): create or replace a secret.
 * The value is encrypted with pgp_sym_encrypt; only the ciphertext and the key's fingerprint
 * are stored. The key is p_secret_key or the session setting hub.secret_key.
 */
create or replace function core.setting_set_secret(
    p_key text,
    p_value text,
    p_shop_id bigint default null,
    p_secret_key text default null
)
returns timestamptz
language plpgsql
set search_path = pg_catalog, public
as $$
declare
    v_key text := core.resolve_secret_key(p_secret_key);
    v_updated_at timestamptz;
begin
    if p_value is null then
        raise exception 'secret %: value must not be null (use core.setting_delete to remove it)', p_key
            using errcode = '22004';
    end if;
    insert into core.settings as s (shop_id, key, value_type, secret, key_fingerprint)
    values (p_shop_id, p_key, 'text', pgp_sym_encrypt(p_value, v_key, 'cipher-algo=aes256'),
            core.secret_key_fingerprint(v_key))
    on conflict on constraint settings_shop_key_unique do update
        set value_type = 'text', value = null,
            secret = excluded.secret, key_fingerprint = excluded.key_fingerprint,
            updated_at = now(), updated_by = current_user
    returning s.updated_at into v_updated_at;
    return v_updated_at;
end
$$;

comment on function core.setting_set_secret(text, text, bigint, text) is
    'Create or replace a secret setting, encrypted at rest with pgcrypto (key: argument or hub.secret_key)';
