/*
 * core.secret_key_fingerprint(p_secret_key): a short, non-reversible id of an encryption key,
 * stored beside each secret so that a wrong key is reported as such, not as garbage.
 */
create or replace function core.secret_key_fingerprint(p_secret_key text)
returns text
language sql
immutable strict parallel safe
set search_path = pg_catalog, public
as $$
    select left(encode(digest(p_secret_key, 'sha256'), 'hex'), 16)
$$;

comment on function core.secret_key_fingerprint(text) is
    'First 16 hex digits of sha256(key): identifies which key encrypted a secret';
