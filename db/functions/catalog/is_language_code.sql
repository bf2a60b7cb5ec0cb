/*
 * catalog.is_language_code(p_code): whether a text is a language code the hub stores — two
 * lower-case letters, optionally a region or script after - or _ (cs, sk, en, de-AT, sr_Latn), the
 * shape of Shoptet's languages[].code. The same rule as the check shop_languages_code of
 * catalog.shop_languages. Null for null.
 */
create or replace function catalog.is_language_code(p_code text)
returns boolean
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    select p_code ~ '^[a-z]{2}([-_][A-Za-z]{2,4})?$'
$$;

comment on function catalog.is_language_code(text) is
    'Whether a text is a language code as Shoptet''s languages[].code (cs, en, de-AT): the rule of check shop_languages_code';
