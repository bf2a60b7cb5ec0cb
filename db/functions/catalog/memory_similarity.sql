/*
 * catalog.memory_similarity(): the lowest pg_trgm similarity (0..1) a translation-memory entry
 * needs to be offered as a fuzzy match: setting translations.memory_similarity, default 0.7.
 * Raises 22023 when the setting is outside 0..1.
 */
create or replace function catalog.memory_similarity()
returns real
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v numeric := coalesce(core.setting_number('translations.memory_similarity'), 0.7);
begin
    if v < 0 or v > 1 then
        raise exception 'setting translations.memory_similarity must be between 0 and 1; it is %', v
            using errcode = '22023';
    end if;
    return v::real;
end
$$;

comment on function catalog.memory_similarity() is
    'Fuzzy-match threshold of the translation memory (pg_trgm similarity 0..1): setting translations.memory_similarity, default 0.7';
