/*
 * catalog.translation_targets(): each translation with every shop it goes to -- its target shop, or
 * (target null) the master and every shop whose master it is -- whether that shop has the
 * language (catalog.shop_languages; its default counts: a shop selling in sk takes the master's
 * cs texts translated to sk), and the shop's product: the same GUID,
 * else the product sharing a variant code with the master's (the lowest GUID when several do).
 * An explicit target without the language or the product is listed (has_language / target_guid
 * say what is missing) so that a sync reports it; for "all shops" only shops with the language
 * are listed.
 */
create or replace function catalog.translation_targets()
returns table (
    translation_id bigint,
    master_shop_id bigint,
    product_guid uuid,
    field text,
    language text,
    shop_id bigint,
    has_language boolean,
    target_guid uuid
)
language sql
stable
set search_path = pg_catalog
set jit = off  -- small OLTP queries: never worth compiling
as $$
    with shops_of as (
        -- explicit target: listed whatever it lacks; all shops: the master and its shops that have the language
        select t.*, t.target_shop_id as shop_id
        from catalog.translations t
        where t.target_shop_id is not null
        union all
        select t.*, s.shop_id
        from catalog.translations t
        join core.shops s on s.shop_id = t.master_shop_id or s.master_shop_id = t.master_shop_id
        where t.target_shop_id is null
          and exists (select from catalog.shop_languages l where l.shop_id = s.shop_id and l.language = t.language)
    )
    select o.id, o.master_shop_id, o.product_guid, o.field, o.language, o.shop_id,
           exists (select from catalog.shop_languages l where l.shop_id = o.shop_id and l.language = o.language),
           catalog.counterpart_guid(o.master_shop_id, o.product_guid, o.shop_id)
    from shops_of o
$$;

comment on function catalog.translation_targets() is
    'Each translation with the shops it goes to (its target, else the master and its shops that have the language), '
    'whether the shop has the language, and the shop''s product GUID (same GUID, else a shared variant code; null: none)';
