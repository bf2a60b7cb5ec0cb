/*
 * core.setting_delete(p_key, p_shop_id): remove a setting (global when p_shop_id is null).
 * Returns whether a row was removed. Removing a shop's value exposes the global one again.
 */
create or replace function core.setting_delete(p_key text, p_shop_id bigint default null)
returns boolean
language sql
set search_path = pg_catalog
as $$
    with removed as (
        delete from core.settings s
        where s.key = p_key and s.shop_id is not distinct from p_shop_id
        returning 1
    )
    select exists (select from removed)
$$;

comment on function core.setting_delete(text, bigint) is
    'Remove a setting (global when p_shop_id is null); true when one was removed';
