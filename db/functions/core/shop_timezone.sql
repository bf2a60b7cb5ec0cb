/*
 * core.shop_timezone(p_shop_id): the shop's time zone (core.shops.timezone); Europe/Prague for
 * a shop the hub does not know.
 */
create or replace function core.shop_timezone(p_shop_id bigint)
returns text
language sql
stable
set search_path = pg_catalog
as $$
    select coalesce((select s.timezone from core.shops s where s.shop_id = p_shop_id), 'Europe/Prague')
$$;

comment on function core.shop_timezone(bigint) is
    'A shop''s time zone (core.shops.timezone; Europe/Prague for an unknown shop)';
