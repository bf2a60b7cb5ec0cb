/*
 * core.search_query(p_q, p_limit): the checked text of a search query (sales.search_customers,
 * sales.search_orders, catalog.search_products) -- trimmed, white-space runs made one space.
 * Raises invalid_parameter_value (22023) when the query is null or blank, or when p_limit is
 * null or outside 1 .. 1000, naming the bad value. The text is never used as a pattern: the
 * searches compare it (=, ranges in collate "C") or take its trigrams, so % _ \ and quotes are
 * ordinary characters.
 */
create or replace function core.search_query(p_q text, p_limit integer)
returns text
language plpgsql
immutable
parallel safe
set search_path = pg_catalog
as $$
declare
    v_text text := btrim(regexp_replace(coalesce(p_q, ''), '\s+', ' ', 'g'));
begin
    if v_text = '' then
        raise exception 'search query is empty (got %)', coalesce(quote_literal(p_q), 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    if p_limit is null or p_limit < 1 or p_limit > 1000 then
        raise exception 'search limit must be 1 .. 1000 rows (got %)', coalesce(p_limit::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    return v_text;
end
$$;

comment on function core.search_query(text, integer) is
    'Checked search query: trimmed, white space collapsed; raises 22023 on a blank query or a limit outside 1 .. 1000';
