/*
 * core.collation_is_codepoint(): true when the database's default collation orders text by code
 * point (byte order of UTF-8) -- libc "C", "POSIX" or "C.UTF-8" (glibc's C.UTF-8 compares with
 * strcmp; Debian 12, glibc 2.36) -- and a probe of a few pairs agrees ('B' < 'a', 'Z' < 'a',
 * 'z' < 'é', '-' < '0', '9' < 'A'; a linguistic collation such as cs_CZ or en_US fails the first).
 *
 * Then "starts with q" is the range key >= q and key < q || U+10FFFF of an index in that collation,
 * e.g. the primary key of sales.orders (sales.search_orders reads order-code prefixes from it; else
 * from orders_search_code, which migration 0230 keeps only on such databases). The embedded
 * cluster is created with --locale=C.UTF-8 (runner/cluster.py). Stable: a database's collation
 * cannot change.
 */
create or replace function core.collation_is_codepoint()
returns boolean
language sql
stable
parallel safe
set search_path = pg_catalog
return (select d.datlocprovider = 'c' and d.datcollate in ('C', 'POSIX', 'C.UTF-8', 'C.utf8')
        from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())
       and 'B' < 'a' and 'Z' < 'a' and 'z' < U&'\00E9' and '-' < '0' and '9' < 'A';

comment on function core.collation_is_codepoint() is
    'True when the database''s default collation orders text by code point (C, POSIX, C.UTF-8; probed): a prefix is then a range of any index on the column (sales.search_orders, order codes)';
