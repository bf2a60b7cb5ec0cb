/*
 * core.search_name_key(p_full_name): a person's name as searched -- the last word (the surname in
 * Czech use) first, then the rest, folded by core.search_fold: 'Jana Nováková' ->
 * 'novakova jana', 'Ing. Jan Novák' -> 'novak ing. jan', 'Novák' -> 'novak'. White space runs
 * become one space. Null or blank -> null.
 *
 * The btree indexes customers_search_name and orders_search_name (collate "C") on it answer
 * "surname starts with ..." in index order, so a prefix search reads only the rows it returns.
 * Indexes store its results (migrations 0143, 0220): a change needs a migration that rebuilds them.
 */
create or replace function core.search_name_key(p_full_name text)
returns text
language plpgsql
immutable
strict
parallel safe
-- no SET search_path (its save and restore per call would cost more than the body): every name is
-- qualified
as $$
declare
    -- white space runs (no-break spaces too) become one space, none at either end
    v_name text := pg_catalog.btrim(pg_catalog.regexp_replace(pg_catalog.translate(p_full_name, U&'\00A0', ' '), '\s+', ' ', 'g'), ' ');
    v_last text := pg_catalog.split_part(v_name, ' ', -1);
begin
    -- unaccent with its dictionary written out, not core.search_fold: a call of that SQL function
    -- from here costs more than the whole key (~5 us a row; the import pays it for every order)
    return nullif(pg_catalog.lower(public.unaccent('public.unaccent'::regdictionary,
                                        case when pg_catalog.length(v_last) < pg_catalog.length(v_name)
                                             then v_last || ' ' || pg_catalog.left(v_name, -pg_catalog.length(v_last) - 1)
                                             else v_name end)), '');
end;
$$;

comment on function core.search_name_key(text) is
    'Search key of a person''s name: last word (surname) first, folded: Jana Nováková -> novakova jana; blank -> null';
