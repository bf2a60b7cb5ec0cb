/*
 * catalog.memory_matches(p_source_language, p_target_language, p_text, p_limit default 3): the
 * translation memory's entries for a source text, best first: the exact match (same hash,
 * similarity 1) and fuzzy ones whose pg_trgm similarity to p_text is at least
 * catalog.memory_similarity() (setting translations.memory_similarity, default 0.7). Texts come
 * back as stored: HTML tags intact. Uses the trigram index (operator %% with the threshold set for
 * this transaction).
 */
create or replace function catalog.memory_matches(
    p_source_language text, p_target_language text, p_text text, p_limit integer default 3)
returns table (source_text text, target_text text, similarity real, exact boolean)
language plpgsql
set search_path = pg_catalog
set jit = off  -- small OLTP queries: never worth compiling
as $$
declare
    v_threshold real := catalog.memory_similarity();
begin
    perform set_config('pg_trgm.similarity_threshold', v_threshold::text, true);
    return query
    select m.source_text, m.target_text,
           case when m.source_hash = catalog.text_hash(p_text) then 1::real
                else public.similarity(m.source_text, p_text) end as sim,
           m.source_hash = catalog.text_hash(p_text)
    from catalog.translation_memory m
    where m.source_language = p_source_language and m.target_language = p_target_language
      and (m.source_hash = catalog.text_hash(p_text) or m.source_text operator(public.%) p_text)
      and (m.source_hash = catalog.text_hash(p_text) or public.similarity(m.source_text, p_text) >= v_threshold)
    order by 3 desc, m.last_at desc
    limit p_limit;
end
$$;

comment on function catalog.memory_matches(text, text, text, integer) is
    'Translation-memory matches of a text for a language pair: exact (similarity 1) and fuzzy (pg_trgm similarity '
    '>= translations.memory_similarity, default 0.7), best first; texts as stored (HTML intact)';
