/*
 * sales.search_orders(p_shop_id, p_q, p_limit): a shop's live orders matching what an assistant
 * typed -- an order code, the e-mail, phone, customer name or company given with the order, with
 * or without diacritics, in any case, possibly misspelt -- best first, newest first among equals,
 * at most p_limit rows (default 20, 1 .. 1000).
 *
 * Tiers as sales.search_customers (docs/search.md), each read in index order only as far as needed:
 *   rank 3        exact: order code (as typed, upper-cased or lower-cased), e-mail (core.normalize_email), phone in any
 *                 common Czech/Slovak format (core.normalize_phone), or the whole name
 *                 (core.search_name_key, surname first or as typed);
 *   rank 2 .. 3   prefix: the code, the surname-first name, the e-mail, the phone or the company
 *                 starts with the query; 2 + length(query) / length(matched value);
 *   rank 0 .. 1   fuzzy, for queries of 3+ characters with a letter and no @ when the tiers above
 *                 left room. Step 1:
 *                 pg_trgm similarity >= 0.35 of a query word to a surname, among the shop's
 *                 distinct surnames starting with the word's first letter (a loose index scan of
 *                 the surname-first btree: one probe per distinct surname, not per row). Step 2,
 *                 when room is left: word_similarity of the folded query to name and company,
 *                 >= pg_trgm.word_similarity_threshold (default 0.6), through the trigram index
 *                 of guest orders and, for registered customers' orders, the customers' trigram
 *                 index then their newest orders; at most 10 x p_limit (at least 200) candidates
 *                 of each kind re-checked on the order's own name and company.
 * Queries of 1-2 characters use the prefix tier only. Ties: created_at desc, code.
 * matched_field: 'code', 'email', 'phone', 'name' or 'company'. Errors: core.search_query (22023 on
 * a blank query or a limit outside 1 .. 1000). An unknown shop gives no rows.
 */
create or replace function sales.search_orders(p_shop_id bigint, p_q text, p_limit integer default 20)
returns table (code text, created_at timestamptz, email text, full_name text, rank real, matched_field text)
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
    -- an order code as typed, upper-cased and lower-cased (codes are stored as Shoptet gives them;
    -- one index probe or range each, a code in mixed case matches as typed only)
    v_code_cases text[] := array(select distinct c from unnest(array[v_text, upper(v_text), lower(v_text)]) c);
    v_case   text;
    v_prefix_codes   text[] := '{}';
    v_prefix_created timestamptz[] := '{}';
    v_codes  text[];
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

    -- codes starting with the query, the highest first (codes count up, so these are the newest: a
    -- prefix like the year finds this year's last orders, not its first): a backward range of the primary key where the database's
    -- collation is byte order (core.collation_is_codepoint), else of orders_search_code (collate "C",
    -- kept by migration 0230 only on such databases); two static statements, so each plans once on
    -- its index (one built for EXECUTE would be planned on every call: +0.2 ms p95, measured). The
    -- order of the arrays does not matter: the hits are ranked below
    foreach v_case in array v_code_cases loop
        if core.collation_is_codepoint() then
            select v_prefix_codes || coalesce(array_agg(p.code), '{}'),
                   v_prefix_created || coalesce(array_agg(p.created_at), '{}')
            into v_prefix_codes, v_prefix_created
            from (select o.code, o.created_at
                  from sales.orders o
                  where o.shop_id = p_shop_id and o.deleted_at is null
                    and o.code >= v_case and o.code < v_case || chr(1114111)
                  order by o.code desc
                  limit p_limit) p;
        else
            select v_prefix_codes || coalesce(array_agg(p.code), '{}'),
                   v_prefix_created || coalesce(array_agg(p.created_at), '{}')
            into v_prefix_codes, v_prefix_created
            from (select o.code, o.created_at
                  from sales.orders o
                  where o.shop_id = p_shop_id and o.deleted_at is null
                    and (o.code collate "C") >= v_case and (o.code collate "C") < v_case || chr(1114111)
                  order by (o.code collate "C") desc
                  limit p_limit) p;
        end if;
    end loop;

    with hits as (
        (select o.code, o.created_at, 3::real as rank, 'code' as field
         from sales.orders o
         where o.shop_id = p_shop_id and o.code = any (v_code_cases) and o.deleted_at is null)
        union all
        (select o.code, o.created_at, 3::real, 'email'
         from sales.orders o
         where o.shop_id = p_shop_id and o.deleted_at is null and o.email is not null
           and core.normalize_email(o.email) = v_email
         order by o.created_at desc
         limit p_limit)
        union all
        (select o.code, o.created_at, 3::real, 'phone'
         from sales.orders o
         where length(v_phone) >= 9 and o.shop_id = p_shop_id and o.deleted_at is null and o.phone is not null
           and (core.normalize_phone(o.phone) collate "C") = v_phone
         order by o.created_at desc
         limit p_limit)
        union all
        (select o.code, o.created_at, 3::real, 'name'
         from sales.orders o
         where o.shop_id = p_shop_id and o.deleted_at is null and o.full_name is not null
           and (core.search_name_key(o.full_name) collate "C") = v_fold
         order by o.created_at desc
         limit p_limit)
        union all
        (select o.code, o.created_at, 3::real, 'name'
         from sales.orders o
         where o.shop_id = p_shop_id and o.deleted_at is null and o.full_name is not null
           and (core.search_name_key(o.full_name) collate "C") = v_swap
         order by o.created_at desc
         limit p_limit)
        union all
        (select h.code, h.created_at, 2 + length(v_text)::real / length(h.code), 'code'
         from unnest(v_prefix_codes, v_prefix_created) h (code, created_at))
        union all
        (select o.code, o.created_at, 2 + length(v_fold)::real / length(core.search_name_key(o.full_name)), 'name'
         from sales.orders o
         where o.shop_id = p_shop_id and o.deleted_at is null and o.full_name is not null
           and (core.search_name_key(o.full_name) collate "C") >= v_fold
           and (core.search_name_key(o.full_name) collate "C") < v_high
         order by (core.search_name_key(o.full_name) collate "C"), o.created_at desc
         limit p_limit)
        union all
        (select o.code, o.created_at, 2 + length(v_fold)::real / length(o.email), 'email'
         from sales.orders o
         where o.shop_id = p_shop_id and o.deleted_at is null and o.email is not null
           and core.normalize_email(o.email) ~>=~ v_fold and core.normalize_email(o.email) ~<~ v_high
         order by core.normalize_email(o.email) using ~<~, o.created_at desc
         limit p_limit)
        union all
        (select o.code, o.created_at, 2 + length(v_phone)::real / length(core.normalize_phone(o.phone)), 'phone'
         from sales.orders o
         where v_phone is not null and o.shop_id = p_shop_id and o.deleted_at is null and o.phone is not null
           and (core.normalize_phone(o.phone) collate "C") >= v_phone
           and (core.normalize_phone(o.phone) collate "C") < v_phone || chr(1114111)
         order by (core.normalize_phone(o.phone) collate "C"), o.created_at desc
         limit p_limit)
        union all
        (select o.code, o.created_at, 2 + length(v_fold)::real / length(core.search_fold(o.company)), 'company'
         from sales.orders o
         where o.shop_id = p_shop_id and o.deleted_at is null and o.company is not null
           and (core.search_fold(o.company) collate "C") >= v_fold
           and (core.search_fold(o.company) collate "C") < v_high
         order by (core.search_fold(o.company) collate "C"), o.created_at desc
         limit p_limit)
    ),
    best as (
        select distinct on (h.code) h.code, h.created_at, h.rank, h.field
        from hits h
        order by h.code, h.rank desc
    )
    select coalesce(array_agg(t.code order by t.n), '{}'), coalesce(array_agg(t.rank order by t.n), '{}'),
           coalesce(array_agg(t.field order by t.n), '{}')
    into v_codes, v_ranks, v_fields
    from (select b.code, b.rank, b.field,
                 row_number() over (order by b.rank desc, b.created_at desc, b.code) as n
          from best b) t
    where t.n <= p_limit;

    v_found := cardinality(v_codes);
    -- no fuzzy search for what is no name: no letter (a code, a phone) or an e-mail ('@')
    if v_fold !~ '[a-z]' or strpos(v_fold, '@') > 0 then
        v_found := p_limit;
    end if;
    if v_found < p_limit and length(v_fold) >= 3 then
        -- fuzzy, step 1: the rows of the surnames most like a word of the query (sales.alike_surnames: a
        -- loose index scan of orders_search_name, one probe per distinct surname), each surname's rows in
        -- index order
        with fuzzy as (
            select f.code, f.created_at, m.rank
            from sales.alike_surnames(p_shop_id, 'sales.orders', v_fold, v_marks) m
            cross join lateral (
                select o.code, o.created_at
                from sales.orders o
                where o.shop_id = p_shop_id and o.deleted_at is null and o.full_name is not null
                  and (core.search_name_key(o.full_name) collate "C") >= m.surname
                  and (core.search_name_key(o.full_name) collate "C") < m.surname || ' ' || chr(1114111)
                  and split_part(core.search_name_key(o.full_name), ' ', 1) = m.surname
                  and o.code <> all (v_codes)
                order by (core.search_name_key(o.full_name) collate "C"), o.created_at desc
                limit p_limit) f
            order by m.rank desc, f.created_at desc, f.code
            limit p_limit - v_found
        )
        select v_codes || coalesce(array_agg(f.code order by f.rank desc, f.created_at desc, f.code), '{}'),
               v_ranks || coalesce(array_agg(f.rank order by f.rank desc, f.created_at desc, f.code), '{}'),
               v_fields || coalesce(array_agg('name'::text order by f.rank desc, f.created_at desc, f.code), '{}')
        into v_codes, v_ranks, v_fields
        from fuzzy f;
        v_found := cardinality(v_codes);
    end if;

    if v_found < p_limit and length(v_fold) >= 3 then
        -- fuzzy, step 2 (first names, companies, words inside names): trigrams. Guest orders through
        -- their own trigram index orders_search_trgm (partial: customer_guid is null, migration 0230);
        -- a registered customer's orders through the customer's (customers_search_trgm), then the
        -- customer's newest orders (orders_customer_history), each re-checked on the order's own name
        -- and company. At most 10 x p_limit (at least 200) candidates of each kind are re-checked and
        -- ranked. (An order of a registered customer whose name here is not like the account's is
        -- found by the tiers above and step 1, not by this step.)
        with candidates as (
            (select o.code, o.created_at, o.full_name, o.company
             from sales.orders o
             where o.deleted_at is null and o.customer_guid is null
               and core.search_fold(coalesce(o.full_name, '') || ' ' || coalesce(o.company, '')) operator(public.%>) v_fold
               and (cardinality(v_marks) = 0
                    or (select bool_and(strpos(core.search_fold(coalesce(o.full_name, '') || ' ' || coalesce(o.company, '')), m) > 0)
                        from unnest(v_marks) m))
               and o.shop_id = p_shop_id
               and o.code <> all (v_codes)
             limit greatest(200, 10 * p_limit))
            union all
            (select o.code, o.created_at, o.full_name, o.company
             from (select c.guid
                   from sales.customers c
                   where c.deleted_at is null
                     and core.search_fold(coalesce(c.full_name, '') || ' ' || coalesce(c.company, '')) operator(public.%>) v_fold
                     and c.shop_id = p_shop_id
                   limit greatest(200, 10 * p_limit)) c
             cross join lateral (
                 select o.code, o.created_at, o.full_name, o.company
                 from sales.orders o
                 where o.shop_id = p_shop_id and o.customer_guid = c.guid and o.deleted_at is null
                   and o.code <> all (v_codes)
                 order by o.created_at desc, o.code desc
                 limit p_limit) o
             where core.search_fold(coalesce(o.full_name, '') || ' ' || coalesce(o.company, '')) operator(public.%>) v_fold
               and (cardinality(v_marks) = 0
                    or (select bool_and(strpos(core.search_fold(coalesce(o.full_name, '') || ' ' || coalesce(o.company, '')), m) > 0)
                        from unnest(v_marks) m))
             limit greatest(200, 10 * p_limit))
        ),
        fuzzy as (
            select c.code, c.created_at, c.full_name, c.company,
                   public.word_similarity(v_fold, core.search_fold(coalesce(c.full_name, '') || ' ' || coalesce(c.company, ''))) as rank
            from candidates c
            order by rank desc, c.created_at desc, c.code
            limit p_limit - v_found
        )
        select v_codes || coalesce(array_agg(f.code order by f.rank desc, f.created_at desc, f.code), '{}'),
               v_ranks || coalesce(array_agg(f.rank order by f.rank desc, f.created_at desc, f.code), '{}'),
               v_fields || coalesce(array_agg(case when public.word_similarity(v_fold, core.search_fold(coalesce(f.company, '')))
                                                        > public.word_similarity(v_fold, core.search_fold(coalesce(f.full_name, '')))
                                                   then 'company' else 'name' end
                                              order by f.rank desc, f.created_at desc, f.code), '{}')
        into v_codes, v_ranks, v_fields
        from fuzzy f;
    end if;

    return query
    select o.code, o.created_at, o.email, o.full_name, h.rank, h.field
    from unnest(v_codes, v_ranks, v_fields) with ordinality as h (code, rank, field, n)
    join sales.orders o on o.shop_id = p_shop_id and o.code = h.code
    order by h.n;
end
$$;

comment on function sales.search_orders(bigint, text, integer) is
    'Search a shop''s live orders by code, e-mail, phone, customer name, company; diacritics- and case-insensitive, typo-tolerant; rank 3 exact, 2..3 prefix, 0..1 fuzzy (trigram similarity of surnames, then of name and company); best first, newest first among equals, at most p_limit (1 .. 1000) rows';
