/*
 * catalog.shop_default_language(p_shop_id): the language a shop's texts are read in without
 * ?language= (catalog.shop_languages.is_default); 'cs' (Shoptet's settings.eshopLanguage default)
 * while the shop's languages were never read.
 */
create or replace function catalog.shop_default_language(p_shop_id bigint)
returns text
language sql
stable
set search_path = pg_catalog
as $$
    select coalesce(
        (select l.language from catalog.shop_languages l where l.shop_id = p_shop_id and l.is_default),
        'cs')
$$;

comment on function catalog.shop_default_language(bigint) is
    'Default language code of a shop (catalog.shop_languages), cs until its languages were read';
