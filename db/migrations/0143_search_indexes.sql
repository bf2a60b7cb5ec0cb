-- Search inside PostgreSQL (issue 16): the search keys and the indexes that answer
-- sales.search_customers, sales.search_orders and catalog.search_products (docs/search.md).
--
-- Expression indexes, no generated columns: the import COPYs into sales.orders / sales.customers
-- with explicit column lists and other paths copy whole rows, so the tables keep their columns;
-- each index computes its key when a row is written, by every path (snapshot import, sync,
-- webhooks) -- no separate indexing job. All are partial on deleted_at is null: search shows live
-- rows only.
--
-- Keys: core.search_fold (unaccent + lower), core.search_name_key (surname first, folded),
-- core.normalize_phone (digits; +420/+421 numbers as 9 digits). They are created here because the
-- indexes need them before db/functions/ is loaded; db/functions/core/ holds the same definitions
-- (tests/test_search.py keeps them equal). Changing what one returns needs a new migration that
-- rebuilds the indexes below.
--
-- btree keys use collate "C" so "starts with" is a range scan in index order (the cluster's
-- C.UTF-8 collation is not "C" for the planner); trigram GIN indexes answer fuzzy (typo) matches.

create or replace function core.search_fold(p_text text)
returns text
language sql
immutable
strict
parallel safe
return pg_catalog.lower(public.unaccent('public.unaccent'::regdictionary, p_text));

comment on function core.search_fold(text) is
    'Search key: unaccent (default rules) then lower-case, e.g. Růžičková -> ruzickova; immutable wrapper so indexes can use it';

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

create or replace function core.normalize_phone(p_phone text)
returns text
language sql
immutable
strict
parallel safe
return nullif(pg_catalog.regexp_replace(
    pg_catalog.regexp_replace(p_phone, '[^0-9]', '', 'g'),
    '^(00)?42[01]([0-9]{9})$', '\2'), '');

comment on function core.normalize_phone(text) is
    'Phone search key: digits only; +420/+421/00420/00421 numbers as their 9-digit national number (+420 777 123 456 -> 777123456); no digit -> null';

-- customers: surname-first name (exact and prefix), e-mail prefix (stored normalised), phone,
-- and trigrams of name and company (fuzzy)
create index customers_search_name on sales.customers (shop_id, (core.search_name_key(full_name)) collate "C")
    where deleted_at is null and full_name is not null;
create index customers_search_email on sales.customers (shop_id, (email) collate "C")
    where deleted_at is null and email is not null;
create index customers_search_phone on sales.customers (shop_id, (core.normalize_phone(phone)) collate "C")
    where deleted_at is null and phone is not null;
create index customers_search_trgm on sales.customers
    using gin (core.search_fold(coalesce(full_name, '') || ' ' || coalesce(company, '')) gin_trgm_ops)
    where deleted_at is null;

-- orders: the same keys, newest first within a key, and the order code (prefix)
create index orders_search_name on sales.orders (shop_id, (core.search_name_key(full_name)) collate "C", created_at desc)
    where deleted_at is null and full_name is not null;
create index orders_search_email on sales.orders (shop_id, (email) collate "C", created_at desc)
    where deleted_at is null and email is not null;
create index orders_search_phone on sales.orders (shop_id, (core.normalize_phone(phone)) collate "C", created_at desc)
    where deleted_at is null and phone is not null;
create index orders_search_code on sales.orders (shop_id, (code) collate "C")
    where deleted_at is null;
create index orders_search_trgm on sales.orders
    using gin (core.search_fold(coalesce(full_name, '') || ' ' || coalesce(company, '')) gin_trgm_ops)
    where deleted_at is null;

-- products and variants: folded name (prefix, trigrams), folded variant code, EAN, manufacturer code
create index products_search_name on catalog.products (shop_id, (core.search_fold(name)) collate "C")
    where deleted_at is null and name is not null;
create index products_search_trgm on catalog.products using gin (core.search_fold(name) gin_trgm_ops)
    where deleted_at is null;
create index variants_search_code on catalog.variants (shop_id, (core.search_fold(code)) collate "C")
    where deleted_at is null;
create index variants_search_ean on catalog.variants (shop_id, ean)
    where deleted_at is null and ean is not null;
create index variants_search_manufacturer_code on catalog.variants (shop_id, (core.search_fold(manufacturer_code)) collate "C")
    where deleted_at is null and manufacturer_code is not null;
