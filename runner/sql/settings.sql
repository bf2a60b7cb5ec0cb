-- Queries of runner/settings.py; the logic lives in the core.setting_* functions.

-- name: setting_get
select core.setting_get(%s, %s);

-- name: setting_get_secret
select core.setting_get_secret(%s, %s, %s);

-- name: setting_exists
select exists (
    select from core.settings s
    where s.key = %s and (s.shop_id = %s or s.shop_id is null)
);

-- name: setting_set
select core.setting_set(%s, %s, %s, %s);

-- name: setting_set_secret
select core.setting_set_secret(%s, %s, %s, %s);

-- name: setting_delete
select core.setting_delete(%s, %s);

-- name: settings_list
-- shop_id null: every setting; else that shop's own plus the globals
select shop_id, key, value_type, value, is_secret, updated_at, updated_by
from core.settings_masked
where (%s::bigint is null or shop_id is null or shop_id = %s::bigint)
  and (not %s or is_secret)
order by shop_id nulls first, key;

-- name: listen
-- the notification channel (the placeholder) is formatted with psycopg.sql.Identifier
listen {};
