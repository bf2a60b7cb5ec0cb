/*
 * core.setting_get_secret(p_key, p_shop_id, p_secret_key): the decrypted value of a secret,
 * or null when unset. A key other than the one that encrypted it gives a clear error
 * (fingerprints differ), never garbage.
 */
create or replace function core.setting_get_secret(
    p_key text,
    p_shop_id bigint default null,
    p_secret_key text default null
)
returns text
language plpgsql
stable
set search_path = pg_catalog, public
as $$
declare
    v_key text := core.resolve_secret_key(p_secret_key);
    v_row core.settings;
begin
    select * into v_row
    from core.settings s
    where s.key = p_key and (s.shop_id = p_shop_id or s.shop_id is null)
    order by s.shop_id nulls last
    limit 1;
    if v_row.setting_id is null then
        return null;
    end if;
    if not v_row.is_secret then
        return v_row.value #>> '{}';
    end if;
    if v_row.key_fingerprint <> core.secret_key_fingerprint(v_key) then
        raise exception 'secret % was encrypted with another key (fingerprint %, given key has %)',
            p_key, v_row.key_fingerprint, core.secret_key_fingerprint(v_key)
            using errcode = '28000', hint = 'set HUB_SECRET_KEY to the key the secret was stored with';
    end if;
    return pgp_sym_decrypt(v_row.secret, v_key);
exception
    when external_routine_exception or external_routine_invocation_exception then
        raise exception 'secret % cannot be decrypted: %', p_key, sqlerrm using errcode = 'XX001';
end
$$;

comment on function core.setting_get_secret(text, bigint, text) is
    'Decrypted value of a secret (shop value, else global, else null); a wrong key is a clear error';
