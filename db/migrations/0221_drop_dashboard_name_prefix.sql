-- The dashboard's Customers page searches names with sales.search_customers (exact, prefix and
-- typo-tolerant, diacritics ignored; docs/search.md) since the search functions landed; its
-- starts-with fallback and the index that served it (migration 0140) are gone: one index less to
-- maintain for every customer the import writes. customers_search_name answers the same prefixes.
drop index if exists sales.customers_shop_name_prefix;
