/*
 * catalog.eshop_language_problems(p_eshop): the language codes of a GET /api/eshop answer (its
 * data object: languages[].code, else settings.eshopLanguage) that catalog.store_shop_languages
 * leaves out, each with the reason: (code as sent, problem). Empty when every code is usable.
 * The caller warns naming the shop (docs/data-quality.md "Languages and texts").
 */
create or replace function catalog.eshop_language_problems(p_eshop jsonb)
returns table (code text, problem text)
language sql
immutable
set search_path = pg_catalog
as $$
    with sent as (
        select r -> 'code' as code, 'languages[].code' as field
        from jsonb_array_elements(case when jsonb_typeof(p_eshop -> 'languages') = 'array'
                                       then p_eshop -> 'languages' else '[]' end) r
        union all
        select p_eshop #> '{settings,eshopLanguage}', 'settings.eshopLanguage'
        where jsonb_typeof(p_eshop -> 'languages') is distinct from 'array'
          and p_eshop #> '{settings,eshopLanguage}' is not null
    )
    select coalesce(s.code #>> '{}', 'null'),
           format('%s %s is not a language code (two letters, optionally -REGION, e.g. cs, de-AT): '
                  'that language is left out of the shop''s languages', s.field,
                  coalesce(s.code::text, 'null'))
    from sent s
    where jsonb_typeof(s.code) is distinct from 'string' or not catalog.is_language_code(lower(s.code #>> '{}'))
$$;

comment on function catalog.eshop_language_problems(jsonb) is
    'Language codes of a GET /api/eshop answer (data) that store_shop_languages leaves out, with the reason; '
    'rows (code, problem), none when all are usable';
