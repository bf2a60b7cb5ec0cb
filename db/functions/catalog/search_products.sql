/*
 * catalog.search_products(p_shop_id, p_q, p_limit): a shop's live variants (sellable units) whose
 * product name, variant code, EAN or manufacturer code matches what was typed, with or without
 * diacritics, in any case, possibly misspelt -- best first, at most p_limit rows (default 20,
 * 1 .. 1000). One row per variant; name is the product name and the variant's name
 * ('Tričko Basic 12 Velikost M'). Deleted products and variants are left out.
 *
 * Tiers as sales.search_customers (docs/search.md):
 *   rank 3        exact: variant code or manufacturer code (folded: case and diacritics ignored),
 *                 EAN (white space ignored), or the whole product name (folded);
 *   rank 2 .. 3   prefix: variant code, manufacturer code or product name starts with the query;
 *                 2 + length(query) / length(matched value);
 *   rank 0 .. 1   fuzzy, for queries of 3+ characters when the tiers above left room: pg_trgm
 *                 word_similarity of the folded query to the folded product name, at least 0.4
 *                 (pg_trgm.word_similarity_threshold set to 0.4 around that statement and put
 *                 back; a function SET clause would need a superuser for an extension's setting;
 *                 the default 0.6
 *                 misses a letter left out of a short word: word_similarity('trcko',
 *                 'tricko basic') = 0.44). Customers and orders keep 0.6: their typos in
 *                 surnames have a step of their own;
 *   rank 0 .. 0.5 description, for queries of 3+ characters when the tiers above left room:
 *                 full text, every word of the folded query (plainto_tsquery('simple')) in the
 *                 product's description (catalog.description_vector: its plain text, folded);
 *                 ts_rank(document, query, 32) / 2 -- 32 maps the rank into 0 .. 1, halved to
 *                 stay below the fuzzy tier. The candidates are the first products the index
 *                 finds (not those a tier above found), as many as rows are still wanted
 *                 (each one's document is recomputed to rank it), so for a word in many
 *                 descriptions the rows are ordered by ts_rank but not chosen by it.
 * Rows come tier by tier in this order. Queries of 1-2 characters use the prefix tier only.
 * Ties: name, variant code. matched_field: 'variant_code', 'ean', 'manufacturer_code', 'name' or
 * 'description'. Errors: core.search_query (22023 on a blank query or a limit outside 1 .. 1000).
 * An unknown shop gives no rows.
 */
create or replace function catalog.search_products(p_shop_id bigint, p_q text, p_limit integer default 20)
returns table (product_guid uuid, variant_code text, name text, rank real, matched_field text)
language plpgsql
stable
set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
    v_text   text := core.search_query(p_q, p_limit);
    v_fold   text := core.search_fold(v_text);
    v_high   text := v_fold || chr(1114111);
    v_ean    text := regexp_replace(v_text, '\s', '', 'g');
    v_codes  text[];
    v_ranks  real[];
    v_fields text[];
    v_found  integer;
    v_words  tsquery;
    v_threshold text;
    -- the query's characters that are neither letters, digits nor spaces: trigrams ignore them, so a
    -- fuzzy match must contain each of them (% _ ' are literal, never wildcards)
    v_marks  text[] := array(select distinct m from regexp_split_to_table(regexp_replace(v_fold, '[[:alnum:][:space:]]', '', 'g'), '') m);
begin
    with names as (
        -- products whose folded name equals or starts with the query, in index order
        select p.guid, case when core.search_fold(p.name) = v_fold then 3::real
                            else 2 + length(v_fold)::real / length(core.search_fold(p.name)) end as rank
        from catalog.products p
        where p.shop_id = p_shop_id and p.deleted_at is null and p.name is not null
          and (core.search_fold(p.name) collate "C") >= v_fold and (core.search_fold(p.name) collate "C") < v_high
        order by (core.search_fold(p.name) collate "C")
        limit p_limit
    ),
    hits as (
        (select v.code, case when core.search_fold(v.code) = v_fold then 3::real
                             else 2 + length(v_fold)::real / length(core.search_fold(v.code)) end as rank,
                'variant_code' as field
         from catalog.variants v
         where v.shop_id = p_shop_id and v.deleted_at is null
           and (core.search_fold(v.code) collate "C") >= v_fold and (core.search_fold(v.code) collate "C") < v_high
         order by (core.search_fold(v.code) collate "C")
         limit p_limit)
        union all
        (select v.code, 3::real, 'ean'
         from catalog.variants v
         where v.shop_id = p_shop_id and v.deleted_at is null and v.ean is not null and v.ean = v_ean
         limit p_limit)
        union all
        (select v.code, case when core.search_fold(v.manufacturer_code) = v_fold then 3::real
                             else 2 + length(v_fold)::real / length(core.search_fold(v.manufacturer_code)) end,
                'manufacturer_code'
         from catalog.variants v
         where v.shop_id = p_shop_id and v.deleted_at is null and v.manufacturer_code is not null
           and (core.search_fold(v.manufacturer_code) collate "C") >= v_fold
           and (core.search_fold(v.manufacturer_code) collate "C") < v_high
         order by (core.search_fold(v.manufacturer_code) collate "C")
         limit p_limit)
        union all
        (select v.code, n.rank, 'name'
         from names n
         join catalog.variants v on v.shop_id = p_shop_id and v.product_guid = n.guid and v.deleted_at is null)
    ),
    best as (
        select distinct on (h.code) h.code, h.rank, h.field
        from hits h
        order by h.code, h.rank desc
    )
    select coalesce(array_agg(t.code order by t.n), '{}'), coalesce(array_agg(t.rank order by t.n), '{}'),
           coalesce(array_agg(t.field order by t.n), '{}')
    into v_codes, v_ranks, v_fields
    from (select b.code, b.rank, b.field,
                 row_number() over (order by b.rank desc, p.name, b.code) as n
          from best b
          join catalog.variants v on v.shop_id = p_shop_id and v.code = b.code
          join catalog.products p on p.shop_id = p_shop_id and p.guid = v.product_guid) t
    where t.n <= p_limit;

    v_found := cardinality(v_codes);
    if v_found < p_limit and length(v_fold) >= 3 then
        v_threshold := current_setting('pg_trgm.word_similarity_threshold', true);
        perform set_config('pg_trgm.word_similarity_threshold', '0.4', true);
        with fuzzy as (
            select v.code, p.name, public.word_similarity(v_fold, core.search_fold(p.name)) as rank
            from catalog.products p
            join catalog.variants v on v.shop_id = p.shop_id and v.product_guid = p.guid and v.deleted_at is null
            where p.deleted_at is null
              and core.search_fold(p.name) operator(public.%>) v_fold
              and (cardinality(v_marks) = 0
                   or (select bool_and(strpos(core.search_fold(p.name), m) > 0) from unnest(v_marks) m))
              and p.shop_id = p_shop_id
              and v.code <> all (v_codes)
            order by rank desc, p.name, v.code
            limit p_limit - v_found
        )
        select v_codes || coalesce(array_agg(f.code order by f.rank desc, f.name, f.code), '{}'),
               v_ranks || coalesce(array_agg(f.rank order by f.rank desc, f.name, f.code), '{}'),
               v_fields || coalesce(array_agg('name'::text order by f.rank desc, f.name, f.code), '{}')
        into v_codes, v_ranks, v_fields
        from fuzzy f;
        perform set_config('pg_trgm.word_similarity_threshold', coalesce(nullif(v_threshold, ''), '0.6'), true);
        v_found := cardinality(v_codes);
    end if;

    -- the query's words as a full-text query (none when it has no letter or digit: plainto_tsquery
    -- would only say so in a notice)
    if v_fold ~ '[[:alnum:]]' then
        v_words := plainto_tsquery('pg_catalog.simple'::regconfig, v_fold);
    end if;
    if v_found < p_limit and length(v_fold) >= 3 and numnode(v_words) > 0 then
        -- description, full text: products whose description has every word of the query, through the
        -- GIN index products_search_description. ts_rank needs each candidate's document, recomputed
        -- from its HTML (the index keeps none; 0.1-0.25 ms for 500 characters): as many candidate
        -- products as rows are still wanted are taken, in the order the index gives them, then ranked
        with candidates as (
            select p.guid, p.name, core.search_fold(channels.plain_text(p.description)) as text
            from catalog.products p
            where p.deleted_at is null and p.description is not null
              and catalog.description_vector(p.description) @@ v_words
              and p.shop_id = p_shop_id
              -- not the products a tier above found (the name tiers give all their variants)
              and p.guid <> all (array(select v.product_guid from catalog.variants v
                                       where v.shop_id = p_shop_id and v.code = any (v_codes)))
            limit p_limit - v_found
        ),
        ranked as (
            select c.guid, c.name, (ts_rank(to_tsvector('pg_catalog.simple'::regconfig, c.text), v_words, 32) / 2)::real as rank
            from candidates c
            where cardinality(v_marks) = 0 or (select bool_and(strpos(c.text, m) > 0) from unnest(v_marks) m)
        ),
        described as (
            select v.code, r.name, r.rank
            from ranked r
            join catalog.variants v on v.shop_id = p_shop_id and v.product_guid = r.guid and v.deleted_at is null
            where v.code <> all (v_codes)
            order by r.rank desc, r.name, v.code
            limit p_limit - v_found
        )
        select v_codes || coalesce(array_agg(d.code order by d.rank desc, d.name, d.code), '{}'),
               v_ranks || coalesce(array_agg(d.rank order by d.rank desc, d.name, d.code), '{}'),
               v_fields || coalesce(array_agg('description'::text order by d.rank desc, d.name, d.code), '{}')
        into v_codes, v_ranks, v_fields
        from described d;
    end if;

    return query
    select v.product_guid, v.code, p.name || coalesce(' ' || v.name, ''), h.rank, h.field
    from unnest(v_codes, v_ranks, v_fields) with ordinality as h (code, rank, field, n)
    join catalog.variants v on v.shop_id = p_shop_id and v.code = h.code
    join catalog.products p on p.shop_id = p_shop_id and p.guid = v.product_guid
    order by h.n;
end
$$;

comment on function catalog.search_products(bigint, text, integer) is
    'Search a shop''s live variants by product name, variant code, EAN, manufacturer code, then description words; diacritics- and case-insensitive, typo-tolerant; rank 3 exact, 2..3 prefix, 0..1 fuzzy (word similarity), 0..0.5 description (full text, ts_rank); one row per variant, best first, at most p_limit (1 .. 1000) rows';
