/*
 * catalog.variants_by_code: a variant code in every shop that has it — how the master's SKU
 * looks in the other shops (stock, price), deleted ones left out.
 */
create or replace function catalog.variants_by_code(p_code text)
returns setof catalog.variants
language sql
stable
set search_path = pg_catalog
as $$
    select v.*
    from catalog.variants v
    where v.code = p_code and v.deleted_at is null
    order by v.shop_id
$$;

comment on function catalog.variants_by_code(text) is 'A variant code in every shop that sells it (index variants_code)';
