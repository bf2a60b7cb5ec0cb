/*
 * sales.customers_page: one page of a shop's customers in GUID order (the primary key),
 * deleted ones left out. Pass the last GUID of the previous page as p_after_guid.
 */
create or replace function sales.customers_page(p_shop_id bigint, p_after_guid uuid default null,
                                                p_limit integer default 100)
returns setof sales.customers
language sql
stable
set search_path = pg_catalog
as $$
    select c.*
    from sales.customers c
    where c.shop_id = p_shop_id
      and (p_after_guid is null or c.guid > p_after_guid)
      and c.deleted_at is null
    order by c.guid
    limit p_limit
$$;

comment on function sales.customers_page(bigint, uuid, integer) is
    'A shop''s customers in GUID order, one keyset page: pass the last GUID for the next page';
