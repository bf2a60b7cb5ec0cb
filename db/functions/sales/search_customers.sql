/*
 * sales.search_customers(p_shop_id, p_q, p_limit): a shop's live customers matching what an
 * assistant typed -- a name, an e-mail, a phone or a company, with or without diacritics, in any
 * case, possibly misspelt -- best first, at most p_limit rows (default 20, 1 .. 1000).
 *
 * Tiers, each read in index order and only as far as needed (docs/search.md):
 *   rank 3        exact: e-mail (core.normalize_email), phone in any common Czech/Slovak format
 *                 (core.normalize_phone: +420 777 123 456, 777123456, 00420...), or the whole name
 *                 (core.search_name_key; 'Jana Nováková' and 'novakova jana' both);
 *   rank 2 .. 3   prefix: the surname-first name, the e-mail, the phone or the company starts
 *                 with the query;
 *                 2 + length(query) / length(matched value), so closer matches come first;
 *   rank 0 .. 1   fuzzy, for queries of 3+ characters with a letter and no @ when the tiers above
 *                 left room. Step 1:
 *                 pg_trgm similarity >= 0.35 of a query word to a surname, among the shop's
 *                 distinct surnames starting with the word's first letter (a loose index scan of
 *                 the surname-first btree: one probe per distinct surname, not per row); of each,
 *                 the rows whose first name starts with another word of the query first, at
 *                 (similarity + 1) / 2, then the others at the similarity. Step 2,
 *                 when room is left: word_similarity of the folded query to name and company,
 *                 >= pg_trgm.word_similarity_threshold (default 0.6), through the trigram index,
 *                 at most 10 x p_limit (at least 200) candidates re-checked.
 * Queries of 1-2 characters use the prefix tier only (never a trigram scan). Ties: name, guid.
 * matched_field: 'email', 'phone', 'name' or 'company'. Errors: core.search_query (22023 on a
 * blank query or a limit outside 1 .. 1000). An unknown shop gives no rows.
 */
create or replace function sales.search_customers(p_shop_id bigint, p_q text, p_limit integer default 20)
returns table (guid uuid, email text, full_name text, rank real, matched_field text)
language plpgsql
stable
set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
    v_text   text := core.search_query(p_q, p_limit);
    v_fold   text := core.search_fold(v_text);
    v_swap   text := core.search_name_key(v_text);
    v_high   text := v_fold || chr(1114111);
    v_email  text := core.normalize_email(v_text);
    v_phone  text := case when v_text ~ '^[-+0-9 ()/.]+$' then core.normalize_phone(v_text) end;
    v_guids  uuid[];
    v_ranks  real[];
    v_fields text[];
    v_found  integer;
    -- the query's characters that are neither letters, digits nor spaces: trigrams ignore them, so a
    -- fuzzy match must contain each of them (% _ ' are literal, never wildcards)
    v_marks  text[] := array(select distinct m from regexp_split_to_table(regexp_replace(v_fold, '[[:alnum:][:space:]]', '', 'g'), '') m);
begin
    if length(coalesce(v_phone, '')) < 3 then
        v_phone := null;
    end if;

    with hits as (
        (select c.guid, c.full_name, 3::real as rank, 'email' as field
         from sales.customers c
         where c.shop_id = p_shop_id and c.deleted_at is null and c.email is not null
           and core.normalize_email(c.email) = v_email
         limit p_limit)
        union all
        (select c.guid, c.full_name, 3::real, 'phone'
         from sales.customers c
         where length(v_phone) >= 9 and c.shop_id = p_shop_id and c.deleted_at is null and c.phone is not null
           and (core.normalize_phone(c.phone) collate "C") = v_phone
         limit p_limit)
        union all
        (select c.guid, c.full_name, 3::real, 'name'
         from sales.customers c
         where c.shop_id = p_shop_id and c.deleted_at is null and c.full_name is not null
           and (core.search_name_key(c.full_name) collate "C") in (v_fold, v_swap)
         limit p_limit)
        union all
        (select c.guid, c.full_name, 2 + length(v_fold)::real / length(core.search_name_key(c.full_name)), 'name'
         from sales.customers c
         where c.shop_id = p_shop_id and c.deleted_at is null and c.full_name is not null
           and (core.search_name_key(c.full_name) collate "C") >= v_fold
           and (core.search_name_key(c.full_name) collate "C") < v_high
         order by (core.search_name_key(c.full_name) collate "C")
         limit p_limit)
        union all
        (select c.guid, c.full_name, 2 + length(v_fold)::real / length(c.email), 'email'
         from sales.customers c
         where c.shop_id = p_shop_id and c.deleted_at is null and c.email is not null
           and core.normalize_email(c.email) ~>=~ v_fold and core.normalize_email(c.email) ~<~ v_high
         order by core.normalize_email(c.email) using ~<~
         limit p_limit)
        union all
        (select c.guid, c.full_name, 2 + length(v_phone)::real / length(core.normalize_phone(c.phone)), 'phone'
         from sales.customers c
         where v_phone is not null and c.shop_id = p_shop_id and c.deleted_at is null and c.phone is not null
           and (core.normalize_phone(c.phone) collate "C") >= v_phone
           and (core.normalize_phone(c.phone) collate "C") < v_phone || chr(1114111)
         order by (core.normalize_phone(c.phone) collate "C")
         limit p_limit)
        union all
        (select c.guid, c.full_name, 2 + length(v_fold)::real / length(core.search_fold(c.company)), 'company'
         from sales.customers c
         where c.shop_id = p_shop_id and c.deleted_at is null and c.company is not null
           and (core.search_fold(c.company) collate "C") >= v_fold
           and (core.search_fold(c.company) collate "C") < v_high
         order by (core.search_fold(c.company) collate "C")
         limit p_limit)
    ),
    best as (
        select distinct on (h.guid) h.guid, h.full_name, h.rank, h.field
        from hits h
        order by h.guid, h.rank desc
    )
    select coalesce(array_agg(t.guid order by t.n), '{}'), coalesce(array_agg(t.rank order by t.n), '{}'),
           coalesce(array_agg(t.field order by t.n), '{}')
    into v_guids, v_ranks, v_fields
    from (select b.guid, b.rank, b.field,
                 row_number() over (order by b.rank desc, b.full_name, b.guid) as n
          from best b) t
    where t.n <= p_limit;

    v_found := cardinality(v_guids);
    -- no fuzzy search for what is no name: no letter (a code, a phone) or an e-mail ('@')
    if v_fold !~ '[a-z]' or strpos(v_fold, '@') > 0 then
        v_found := p_limit;
    end if;
    if v_found < p_limit and length(v_fold) >= 3 then
        -- fuzzy, step 1: the rows of the surnames most like a word of the query (sales.alike_surnames: a
        -- loose index scan of customers_search_name, one probe per distinct surname), each surname's rows in
        -- index order; first those whose first name starts with another word of the query (`Tomas Novk`:
        -- the range `novak tomas` of the surname-first key), ranked halfway between the surname's
        -- similarity and 1
        with fuzzy as (
            select distinct on (f.guid) f.guid, f.full_name, f.rank
            from sales.alike_surnames(p_shop_id, 'sales.customers', v_fold, v_marks) m
            cross join lateral (
                (select c.guid, c.full_name, ((m.rank + 1) / 2)::real as rank
                 from unnest(string_to_array(v_fold, ' ')) w (w)
                 cross join lateral (
                     select c.guid, c.full_name
                     from sales.customers c
                     where c.shop_id = p_shop_id and c.deleted_at is null and c.full_name is not null
                       and (core.search_name_key(c.full_name) collate "C") >= m.surname || ' ' || w.w
                       and (core.search_name_key(c.full_name) collate "C") < m.surname || ' ' || w.w || chr(1114111)
                       and c.guid <> all (v_guids)
                     order by (core.search_name_key(c.full_name) collate "C")
                     limit p_limit) c
                 where length(w.w) >= 2 and w.w <> m.surname)
                union all
                (select c.guid, c.full_name, m.rank
                 from sales.customers c
                 where c.shop_id = p_shop_id and c.deleted_at is null and c.full_name is not null
                   and (core.search_name_key(c.full_name) collate "C") >= m.surname
                   and (core.search_name_key(c.full_name) collate "C") < m.surname || ' ' || chr(1114111)
                   and split_part(core.search_name_key(c.full_name), ' ', 1) = m.surname
                   and c.guid <> all (v_guids)
                 order by (core.search_name_key(c.full_name) collate "C")
                 limit p_limit)) f
            order by f.guid, f.rank desc
        ), best as (
            select f.guid, f.full_name, f.rank
            from fuzzy f
            order by f.rank desc, f.full_name, f.guid
            limit p_limit - v_found
        )
        select v_guids || coalesce(array_agg(f.guid order by f.rank desc, f.full_name, f.guid), '{}'),
               v_ranks || coalesce(array_agg(f.rank order by f.rank desc, f.full_name, f.guid), '{}'),
               v_fields || coalesce(array_agg('name'::text order by f.rank desc, f.full_name, f.guid), '{}')
        into v_guids, v_ranks, v_fields
        from best f;
        v_found := cardinality(v_guids);
    end if;

    if v_found < p_limit and length(v_fold) >= 3 then
        -- fuzzy, step 2 (first names, companies, words inside names): the trigram index
        -- customers_search_trgm; at most 10 x p_limit (at least 200) candidates are re-checked and ranked
        with candidates as (
            select c.guid, c.full_name, c.company
            from sales.customers c
            where c.deleted_at is null
              and core.search_fold(coalesce(c.full_name, '') || ' ' || coalesce(c.company, '')) operator(public.%>) v_fold
              and (cardinality(v_marks) = 0
                   or (select bool_and(strpos(core.search_fold(coalesce(c.full_name, '') || ' ' || coalesce(c.company, '')), m) > 0)
                       from unnest(v_marks) m))
              and c.shop_id = p_shop_id
              and c.guid <> all (v_guids)
            limit greatest(200, 10 * p_limit)
        ),
        fuzzy as (
            select c.guid, c.full_name, c.company,
                   public.word_similarity(v_fold, core.search_fold(coalesce(c.full_name, '') || ' ' || coalesce(c.company, ''))) as rank
            from candidates c
            order by rank desc, c.full_name, c.guid
            limit p_limit - v_found
        )
        select v_guids || coalesce(array_agg(f.guid order by f.rank desc, f.full_name, f.guid), '{}'),
               v_ranks || coalesce(array_agg(f.rank order by f.rank desc, f.full_name, f.guid), '{}'),
               v_fields || coalesce(array_agg(case when public.word_similarity(v_fold, core.search_fold(coalesce(f.company, '')))
                                                        > public.word_similarity(v_fold, core.search_fold(coalesce(f.full_name, '')))
                                                   then 'company' else 'name' end
                                              order by f.rank desc, f.full_name, f.guid), '{}')
        into v_guids, v_ranks, v_fields
        from fuzzy f;
    end if;

    return query
    select c.guid, c.email, c.full_name, h.rank, h.field
    from unnest(v_guids, v_ranks, v_fields) with ordinality as h (guid, rank, field, n)
    join sales.customers c on c.shop_id = p_shop_id and c.guid = h.guid
    order by h.n;
end
$$;

comment on function sales.search_customers(bigint, text, integer) is
    'Search a shop''s live customers by name, e-mail, phone, company; diacritics- and case-insensitive, typo-tolerant; rank 3 exact, 2..3 prefix, 0..1 fuzzy (trigram similarity of surnames, then of name and company); best first, at most p_limit (1 .. 1000) rows';
