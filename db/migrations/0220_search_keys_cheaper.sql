-- Cheaper search keys (issue 16: "import speed stays within 10 % of today's with the new indexes").
--
-- core.search_name_key and core.normalize_phone are computed for every order and customer the
-- import writes (the expression indexes of migration 0143). Measured on 140,000 orders of a
-- sandbox shop (bench/RESULTS.md, 2026-11-30): the search indexes made the orders COPY cost
-- 15.3 s of server CPU instead of 5.4 s; most of it was these two keys -- a regular expression
-- with capture groups each (PostgreSQL's engine backtracks on them, ~10 us a row) and, in the name
-- key, a call of the SQL function core.search_fold that cannot be inlined (unaccent is stable).
-- Same keys, without either: split_part / left instead of the capture, unaccent written out.
-- The keys differ from 0143's only for odd white space (a leading tab, a no-break space), which
-- is now trimmed like a space; the four indexes on them are made again so that they hold exactly
-- what the functions return. db/functions/core/ holds the same definitions (tests/test_search.py).
--
-- Building them blocks writes to the table while it runs (~10-20 s for 1.4 M orders on 2 cores);
-- run `hub db migrate` when the workers are idle.

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

create or replace function core.normalize_phone(p_phone text)
returns text
language plpgsql
immutable
strict
parallel safe
-- no SET search_path (its save and restore per call would cost more than the body): every name is
-- qualified
as $$
declare
    v_digits text := pg_catalog.regexp_replace(p_phone, '[^0-9]', '', 'g');
begin
    if (pg_catalog.length(v_digits) = 12 and pg_catalog.left(v_digits, 3) in ('420', '421'))
       or (pg_catalog.length(v_digits) = 14 and pg_catalog.left(v_digits, 5) in ('00420', '00421')) then
        return pg_catalog.right(v_digits, 9);
    end if;
    return nullif(v_digits, '');
end;
$$;

comment on function core.normalize_phone(text) is
    'Phone search key: digits only; +420/+421/00420/00421 numbers as their 9-digit national number (+420 777 123 456 -> 777123456); no digit -> null';

-- dropped and made again (REINDEX of a partitioned index cannot run inside the migration's transaction)
drop index sales.customers_search_name;
drop index sales.customers_search_phone;
drop index sales.orders_search_name;
drop index sales.orders_search_phone;
create index customers_search_name on sales.customers (shop_id, (core.search_name_key(full_name)) collate "C")
    where deleted_at is null and full_name is not null;
create index customers_search_phone on sales.customers (shop_id, (core.normalize_phone(phone)) collate "C")
    where deleted_at is null and phone is not null;
create index orders_search_name on sales.orders (shop_id, (core.search_name_key(full_name)) collate "C", created_at desc)
    where deleted_at is null and full_name is not null;
create index orders_search_phone on sales.orders (shop_id, (core.normalize_phone(phone)) collate "C", created_at desc)
    where deleted_at is null and phone is not null;
