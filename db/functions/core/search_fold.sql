/*
 * core.search_fold(p_text): the search key of a text -- diacritics removed by unaccent with its
 * default rules (Růžičková -> Ruzickova), then lower-case: 'Růžičková' -> 'ruzickova'. Null stays
 * null. Used by every search index and query (sales.search_customers, sales.search_orders,
 * catalog.search_products) so stored keys and typed queries fold the same way.
 *
 * IMMUTABLE wrapper: public.unaccent(text) is only STABLE (it reads the dictionary named by
 * search_path), which an index may not use; naming the dictionary as a regdictionary constant
 * ('public.unaccent') makes the result depend on the argument alone. A SQL-standard body binds the
 * dictionary and the functions when created (no search_path can change them). Indexes store its
 * results (migration 0143): a change of what it returns needs a migration that rebuilds them;
 * tests/test_search.py checks this file still equals that migration's definition.
 */
create or replace function core.search_fold(p_text text)
returns text
language sql
immutable
strict
parallel safe
return pg_catalog.lower(public.unaccent('public.unaccent'::regdictionary, p_text));

comment on function core.search_fold(text) is
    'Search key: unaccent (default rules) then lower-case, e.g. Růžičková -> ruzickova; immutable wrapper so indexes can use it';
