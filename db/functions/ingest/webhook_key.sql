/*
 * ingest.webhook_key(p_key_kind, p_key): a webhook's entity key as ingest.webhook_pending keeps
 * it. Customer and product GUIDs go through core.normalize_guid (lower case, trimmed), so that
 * 'ABC…' and 'abc…' are one key and the sync's change-list GUIDs find them; a GUID key that is no
 * GUID, an order code and a variant code are kept as given (Shoptet's codes are case-sensitive).
 */
create or replace function ingest.webhook_key(p_key_kind text, p_key text)
returns text
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    select case when p_key_kind in ('customer', 'product') then coalesce(core.normalize_guid(p_key)::text, p_key)
                else p_key end
$$;

comment on function ingest.webhook_key(text, text) is
    'The key of ingest.webhook_pending for a webhook''s entity key: customer/product GUIDs normalised, codes as given';
