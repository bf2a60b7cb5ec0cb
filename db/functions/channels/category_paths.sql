/*
 * channels.category_paths(p_shop_id): every known category of the shop with its path of names
 * from the top, joined by ' | ' (Heureka's CATEGORYTEXT separator), e.g. 'Oblečení | Trička'.
 * Parents are followed through catalog.categories.parent_guid; a parent the hub never saw ends
 * the path there. Depth is capped at 20 (a cycle in bad data cannot loop).
 */
create or replace function channels.category_paths(p_shop_id bigint)
returns table (guid uuid, path text)
language sql
stable
set search_path = pg_catalog
as $$
    with recursive up as (
        select c.guid as start, c.parent_guid as next, c.name::text as path, 1 as depth
        from catalog.categories c
        where c.shop_id = p_shop_id
        union all
        select up.start, p.parent_guid, p.name || ' | ' || up.path, up.depth + 1
        from up
        join catalog.categories p on p.shop_id = p_shop_id and p.guid = up.next
        where up.depth < 20
    )
    select distinct on (up.start) up.start, up.path
    from up
    order by up.start, up.depth desc;
$$;

comment on function channels.category_paths(bigint) is
    'Each category of a shop with its path of names from the top joined by '' | '' (catalog.categories.parent_guid; depth <= 20)';
