/*
 * core.search_name_key(p_full_name): a person's name as searched -- the last word (the surname in
 * Czech use) first, then the rest, folded by core.search_fold: 'Jana Nováková' ->
 * 'novakova jana', 'Ing. Jan Novák' -> 'novak ing. jan', 'Novák' -> 'novak'. White space runs
 * become one space. Null or blank -> null.
 *
 * The btree indexes customers_search_name and orders_search_name (collate "C") on it answer
 * "surname starts with ..." in index order, so a prefix search reads only the rows it returns.
 * Indexes store its results (migration 0143): a change needs a migration that rebuilds them.
 */
create or replace function core.search_name_key(p_full_name text)
returns text
language sql
immutable
strict
parallel safe
return nullif(core.search_fold(pg_catalog.regexp_replace(
    pg_catalog.regexp_replace(pg_catalog.btrim(p_full_name), '\s+', ' ', 'g'),
    '^(.*\S) (\S+)$', '\2 \1')), '');

comment on function core.search_name_key(text) is
    'Search key of a person''s name: last word (surname) first, folded: Jana Nováková -> novakova jana; blank -> null';
