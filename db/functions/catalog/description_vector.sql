/*
 * catalog.description_vector(p_html): the full-text document of a product description for
 * catalog.search_products -- the plain text of the HTML (channels.plain_text: tags, script and
 * style removed, common entities decoded), folded by core.search_fold (lower case, no
 * diacritics), parsed with the 'simple' configuration (every word a lexeme as it is: no stemming,
 * no stop words). Null or blank HTML -> null.
 *
 * The key of the expression index catalog.products_search_description (migration 0200), so it is
 * IMMUTABLE and has a SQL-standard body without SET (bound when created, inlined by the planner
 * into the index expression and the query alike). Changing what it or channels.plain_text returns
 * needs a migration that re-creates both and rebuilds the index (tests/test_search_fts.py holds the
 * file and the migration's copy equal).
 */
create or replace function catalog.description_vector(p_html text)
returns tsvector
language sql
immutable
parallel safe
return pg_catalog.to_tsvector('pg_catalog.simple'::regconfig, core.search_fold(channels.plain_text(p_html)));

comment on function catalog.description_vector(text) is
    'Full-text document of a product description: to_tsvector(''simple'', core.search_fold(channels.plain_text(html))); '
    'key of the index products_search_description; null for null or blank HTML';
