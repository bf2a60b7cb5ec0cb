/*
 * sales.alike_surnames(p_shop_id, p_names, p_fold, p_marks): the fuzzy step 1 of
 * sales.search_customers and sales.search_orders (docs/search.md) -- the shop's distinct surnames
 * most like a word of the folded query, with their pg_trgm similarity (0.35 .. 1).
 *
 *   p_names   where the names are: 'sales.customers' or 'sales.orders' (their full_name, live rows
 *             only, read through customers_search_name / orders_search_name);
 *   p_fold    the query folded by core.search_fold; its words of 3+ characters are compared;
 *   p_marks   characters every surname must contain (the query's punctuation, which trigrams
 *             ignore; empty: none).
 *
 * Returns (surname, rank): each surname (the first word of core.search_name_key) that starts with
 * the first letter of a query word and whose similarity to such a word is at least 0.35; rank is
 * the best similarity over the words. Unordered, at most one row per surname.
 *
 * How: a loose index scan of the surname-first btree -- a recursive query that jumps from one
 * surname to the next, one index probe per distinct surname starting with the letter, however many
 * rows share it -- then similarity() on those few strings. The statement is built for the table
 * named and planned with the call's values (EXECUTE), so the planner sees the range over the
 * collate "C" key and reads the expression index; one static copy per table would be the same
 * text twice. Errors: 22023 when p_names is another table.
 */
create or replace function sales.alike_surnames(p_shop_id bigint, p_names regclass, p_fold text,
                                                p_marks text[] default '{}')
returns table (surname text, rank real)
language plpgsql
stable
rows 10
set search_path = pg_catalog
as $$
begin
    if p_names is null or p_names not in ('sales.customers'::regclass, 'sales.orders'::regclass) then
        raise exception 'alike surnames are read from sales.customers or sales.orders (got %)',
            coalesce(p_names::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    return query execute format($q$
        with recursive words as (
            select distinct w.w
            from unnest(string_to_array($2, ' ')) as w (w)
            where length(w.w) >= 3
        ),
        letters as (
            select distinct left(w.w, 1) as l from words w
        ),
        surnames (l, s) as (
            select l.l,
                   (select split_part(core.search_name_key(t.full_name), ' ', 1)
                    from %1$s t
                    where t.shop_id = $1 and t.deleted_at is null and t.full_name is not null
                      and (core.search_name_key(t.full_name) collate "C") >= l.l
                      and (core.search_name_key(t.full_name) collate "C") < l.l || chr(1114111)
                    order by (core.search_name_key(t.full_name) collate "C")
                    limit 1)
            from letters l
            union all
            select s.l,
                   (select split_part(core.search_name_key(t.full_name), ' ', 1)
                    from %1$s t
                    where t.shop_id = $1 and t.deleted_at is null and t.full_name is not null
                      and (core.search_name_key(t.full_name) collate "C") > s.s || ' ' || chr(1114111)
                      and (core.search_name_key(t.full_name) collate "C") < s.l || chr(1114111)
                    order by (core.search_name_key(t.full_name) collate "C")
                    limit 1)
            from surnames s
            where s.s is not null
        )
        select s.s, max(public.similarity(w.w, s.s))
        from surnames s
        join words w on left(w.w, 1) = s.l
        where s.s is not null
          and (cardinality($3) = 0 or (select bool_and(strpos(s.s, m) > 0) from unnest($3) m))
        group by s.s
        having max(public.similarity(w.w, s.s)) >= 0.35
        $q$, p_names)
    using p_shop_id, p_fold, coalesce(p_marks, '{}');
end
$$;

comment on function sales.alike_surnames(bigint, regclass, text, text[]) is
    'Fuzzy step 1 of sales.search_customers / search_orders: the shop''s distinct surnames (loose index scan of '
    'customers_search_name or orders_search_name) with pg_trgm similarity >= 0.35 to a query word of 3+ characters '
    'sharing its first letter, containing every p_marks character; (surname, rank = best similarity); '
    'p_names must be sales.customers or sales.orders (else 22023)';
