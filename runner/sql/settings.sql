-- Queries of runner/settings.py; the logic lives in the core.setting_* functions.

-- name: setting_get
select core.setting_get(%(key)s, %(shop_id)s);

-- name: setting_get_secret
select core.setting_get_secret(%(key)s, %(shop_id)s, %(secret_key)s);

-- name: setting_exists
select exists (
    select from core.settings s
    where s.key = %(key)s and (s.shop_id = %(shop_id)s or s.shop_id is null)
);

-- name: setting_set
select core.setting_set(%(key)s, %(value)s, %(shop_id)s, %(value_type)s);

-- name: setting_set_secret
select core.setting_set_secret(%(key)s, %(value)s, %(shop_id)s, %(secret_key)s);

-- name: setting_delete
select core.setting_delete(%(key)s, %(shop_id)s);

-- name: settings_list
-- shop_id null: every setting; else that shop's own plus the globals
select shop_id, key, value_type, value, is_secret, updated_at, updated_by
from core.settings_masked
where (%(shop_id)s::bigint is null or shop_id is null or shop_id = %(shop_id)s::bigint)
  and (not %(secrets_only)s or is_secret)
order by shop_id nulls first, key;

-- name: listen
-- the notification channel (the placeholder) is formatted with psycopg.sql.Identifier
listen {};
