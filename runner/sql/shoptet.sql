-- Queries of runner/shoptet/ (client, auth, shops, snapshots).

-- name: access_token_lock
-- single-flight minting: one transaction per shop at a time decides whether to mint
select pg_advisory_xact_lock(hashtextextended('shoptet.mint:' || %(shop_id)s::text, 0));

-- name: access_token_get
-- the shop's current access token while it stays valid long enough (renew margin in seconds)
select pgp_sym_decrypt(t.token, %(key)s), extract(epoch from t.expires_at)::float8
from core.shop_access_tokens t
where t.shop_id = %(shop_id)s
  and t.expires_at > now() + make_interval(secs => %(renew_before)s)
  and t.key_fingerprint = core.secret_key_fingerprint(%(key)s);

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
where shop_id = %(shop_id)s and pgp_sym_decrypt(token, %(key)s) = %(token)s;

-- name: shop_exists
select name, status from core.shops where shop_id = %(shop_id)s;

-- name: shop_upsert
-- hub shop add: a shop (re)connected with a private token; name and master link as given
insert into core.shops (shop_id, name, is_master, master_shop_id, status)
values (%(shop_id)s, %(name)s, %(is_master)s, %(master_shop_id)s, 'active')
on conflict (shop_id) do update
    set name = excluded.name, is_master = excluded.is_master, master_shop_id = excluded.master_shop_id,
        status = 'active', updated_at = now()
returning shop_id;

-- name: shop_set_timezone
-- the shop's time zone from GET /api/eshop settings.timezone (unknown or missing: Europe/Prague)
select core.shop_set_timezone(%(shop_id)s, %(timezone)s);

-- name: shops_list
select s.shop_id, s.name, s.is_master, s.master_shop_id, s.status, s.timezone, s.created_at,
       (select count(*) from sales.orders o where o.shop_id = s.shop_id and o.deleted_at is null) as orders,
       (select count(*) from sales.customers c where c.shop_id = s.shop_id and c.deleted_at is null) as customers,
       (select count(*) from catalog.variants v where v.shop_id = s.shop_id and v.deleted_at is null) as variants,
       (select max(j.finished_at) from ingest.snapshot_jobs j where j.shop_id = s.shop_id
          and j.status in ('completed', 'completed_with_errors')) as last_import,
       -- which credentials the shop has (names, never values)
       array(select c.key from core.settings c where c.shop_id = s.shop_id and c.is_secret
             and c.key like 'shoptet.%%' order by c.key) as credentials
from core.shops s
where (%(shop_id)s::bigint is null or s.shop_id = %(shop_id)s::bigint)
order by s.shop_id;

-- name: shop_disconnect
update core.shops set status = 'uninstalled', updated_at = now() where shop_id = %(shop_id)s returning shop_id;

-- name: shop_forget_credentials
with tokens as (delete from core.shop_access_tokens where shop_id = %(shop_id)s)
delete from core.settings where shop_id = %(shop_id)s and key like 'shoptet.%%';

-- name: shop_purge
select ops.purge_shop(%(shop_id)s);

-- name: api_slot_take
select core.api_slot_take(%(key)s, %(held)s::integer[], %(size)s);

-- name: api_slot_release
select core.api_slot_release(%(key)s, %(slot)s);

-- name: current_user_is_superuser
select rolsuper from pg_roles where rolname = current_user;

-- name: skip_foreign_key_triggers
-- a superuser's purge skips the foreign-key triggers (ops.purge_shop deletes children first)
set local session_replication_role = replica;

-- name: shop_store_storefront
-- what feeds need of GET /api/eshop?include=imageCuts (channels.shop_storefronts)
select channels.store_storefront(%(shop_id)s, %(eshop)s::jsonb);

-- name: shop_timezone
-- the shop's IANA time zone (core.shops.timezone; null: no such shop)
select s.timezone from core.shops s where s.shop_id = %(shop_id)s;
