/*
 * core.search_query(p_q, p_limit): the checked text of a search query (sales.search_customers,
 * sales.search_orders, catalog.search_products) -- trimmed, white-space runs made one space.
 * White space includes the no-break spaces (U+00A0, U+2007, U+202F), and the zero-width
 * characters (U+200B, U+2060, U+FEFF) are dropped: text copied from a web page, a PDF or a
 * spreadsheet carries them (a phone '+420 777 123 456' written with no-break spaces is a phone);
 * [[:space:]] alone does not hold them under the cluster's C.UTF-8 ctype.
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
    v_text text := btrim(regexp_replace(regexp_replace(coalesce(p_q, ''), '[\u200b\u2060\ufeff]', '', 'g'),
                                        '[\s\u00a0\u2007\u202f]+', ' ', 'g'));
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
    'Checked search query: trimmed, white space (no-break spaces too) collapsed to one space, zero-width characters dropped; raises 22023 on a blank query or a limit outside 1 .. 1000';
