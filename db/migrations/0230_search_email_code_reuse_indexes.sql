-- Issue 16's import target: every index on sales.orders and sales.customers costs each written row
-- an index insert (~0.6 s of server CPU per 140 k orders for a btree, bench/RESULTS.md "Search
-- indexes and the import"). Three search indexes duplicated indexes the tables already had:
--
-- * e-mail: customers_search_email and orders_search_email held (shop_id, email collate "C"), the
--   unique customers_shop_email and orders_email_history hold (shop_id, core.normalize_email(email)),
--   the same value (stored e-mails are normalised). Those two are re-created with text_pattern_ops:
--   equality (the unique check, sales.customer_by_email, sales.email_orders_page) works as before,
--   and the search's "starts with" is a range of the pattern operators (~>=~, ~<~), which compare
--   bytes whatever the collation, read in index order (ORDER BY ... USING ~<~).
-- * order code: orders_search_code held (shop_id, code collate "C"); the primary key holds
--   (shop_id, code) in the database's collation. Where that collation orders strings by code point
--   (C, POSIX, C.UTF-8: core.collation_is_codepoint(); the embedded cluster is C.UTF-8) a prefix is
--   a range of the primary key and orders_search_code is dropped; elsewhere it stays and
--   sales.search_orders reads it.
--
-- And one index narrowed: orders_search_trgm (fuzzy step 2 of sales.search_orders: typos in first
-- names, companies, words inside names) now holds guest orders only (customer_guid is null, ~30 %
-- of orders); a registered customer's orders are reached through customers_search_trgm and
-- orders_customer_history, re-checked on the order's own name and company.

drop index if exists sales.customers_search_email;
drop index sales.customers_shop_email;
create unique index customers_shop_email on sales.customers (shop_id, core.normalize_email(email) text_pattern_ops)
    where email is not null and deleted_at is null;
comment on index sales.customers_shop_email is
    'One live customer per normalised e-mail in a shop; text_pattern_ops so that sales.search_customers reads e-mail prefixes from it (byte order)';

drop index if exists sales.orders_search_email;
drop index sales.orders_email_history;
create index orders_email_history on sales.orders (shop_id, core.normalize_email(email) text_pattern_ops, created_at desc, code desc)
    where email is not null;
comment on index sales.orders_email_history is
    'Orders by normalised e-mail, newest first (sales.email_orders_page); text_pattern_ops so that sales.search_orders reads e-mail prefixes from it (byte order)';

-- core.collation_is_codepoint as db/functions/core/ has it (functions are loaded after migrations;
-- tests/test_search.py checks the two are equal)
create or replace function core.collation_is_codepoint()
returns boolean
language sql
stable
parallel safe
set search_path = pg_catalog
return (select d.datlocprovider = 'c' and d.datcollate in ('C', 'POSIX', 'C.UTF-8', 'C.utf8')
        from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())
       and 'B' < 'a' and 'Z' < 'a' and 'z' < U&'\00E9' and '-' < '0' and '9' < 'A';

do $$
begin
    if core.collation_is_codepoint() then
        drop index if exists sales.orders_search_code;
    end if;
end
$$;

drop index sales.orders_search_trgm;
create index orders_search_trgm on sales.orders
    using gin (core.search_fold(coalesce(full_name, '') || ' ' || coalesce(company, '')) gin_trgm_ops)
    where deleted_at is null and customer_guid is null;
comment on index sales.orders_search_trgm is
    'Trigrams of guest orders'' folded name and company (fuzzy step 2 of sales.search_orders; registered customers'' orders go through customers_search_trgm)';
