-- Issue 16's import target: ANALYZE of sales.orders and sales.customers (autovacuum's, during and
-- after every import) also computes statistics of every expression index's key, evaluating the
-- expression over the whole 30,000-row sample and sorting the values: the search indexes' keys made
-- an ANALYZE of 140,000 orders ~40 % dearer (2.4-2.6 s -> 1.2-1.6 s without them, loaded machine,
-- 2026-12-01). No plan reads them: the search functions read these indexes for equality and prefix
-- ranges in index order under a LIMIT, and the trigram index only through their own bounded steps;
-- with and without these statistics `hub bench search --queries 500 --seed 1` on scale-1 data
-- touched exactly the same shared buffers in every statement (pg_stat_statements, track = all), i.e.
-- the same plans. A statistics target of 0 makes ANALYZE skip them (the e-mail keys of
-- customers_shop_email and orders_email_history, older than the search, keep theirs).

alter index sales.customers_search_name alter column 2 set statistics 0;
alter index sales.customers_search_phone alter column 2 set statistics 0;
alter index sales.customers_search_company alter column 2 set statistics 0;
alter index sales.customers_search_trgm alter column 1 set statistics 0;
alter index sales.orders_search_name alter column 2 set statistics 0;
alter index sales.orders_search_phone alter column 2 set statistics 0;
alter index sales.orders_search_company alter column 2 set statistics 0;
alter index sales.orders_search_trgm alter column 1 set statistics 0;
