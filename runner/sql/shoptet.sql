-- Queries of runner/shoptet/ (client, auth, shops, snapshots).

-- name: access_token_lock
-- single-flight minting: one transaction per shop at a time decides whether to mint
select pg_advisory_xact_lock(hashtextextended('shoptet.mint:' || %s::text, 0));

-- name: access_token_get
-- the shop's current access token when it is valid for at least %s more seconds
select pgp_sym_decrypt(t.token, %s), extract(epoch from t.expires_at)::float8
from core.shop_access_tokens t
where t.shop_id = %s
  and t.expires_at > now() + make_interval(secs => %s)
  and t.key_fingerprint = core.secret_key_fingerprint(%s);

-- name: access_token_put
insert into core.shop_access_tokens as t (shop_id, token, key_fingerprint, expires_at)
values (%(shop_id)s, pgp_sym_encrypt(%(token)s, %(key)s, 'cipher-algo=aes256'), core.secret_key_fingerprint(%(key)s),
        now() + make_interval(secs => %(expires_in)s))
on conflict (shop_id) do update
    set token = excluded.token, key_fingerprint = excluded.key_fingerprint, expires_at = excluded.expires_at,
        minted_at = now(), mint_count = t.mint_count + 1
returning extract(epoch from expires_at)::float8;

-- name: access_token_expire
-- a token Shoptet called expired: forget it (only if it is still the stored one)
update core.shop_access_tokens
set expires_at = now() - interval '1 second'
where shop_id = %s and pgp_sym_decrypt(token, %s) = %s;

-- name: shop_exists
select name, status from core.shops where shop_id = %s;
