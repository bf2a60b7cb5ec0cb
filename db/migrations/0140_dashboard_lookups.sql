-- Indexes behind the dashboard's customer pages (issue 15), so that each page is a short index
-- read at the seeds' full scale (hub bench web):
--   * search by e-mail among all buyers, guests included: analytics.customer_metrics_base by
--     (shop, normalised e-mail);
--   * the customers of an RFM segment by total spent, keyset paged, and the segment sizes:
--     (shop, segment, total spent, key) (an index-only scan for the sizes);
--   * search of registered customers by the start of their name, case-insensitive:
--     lower(full_name) collate "C" (LIKE 'prefix%' is a range scan, and the matches come in
--     index order, so a page of them stops early).

create index customer_metrics_shop_email on analytics.customer_metrics_base (shop_id, email)
    where email is not null;

create index customer_metrics_shop_segment
    on analytics.customer_metrics_base (shop_id, rfm_segment, total_spent, customer_key);

create index customers_shop_name_prefix on sales.customers (shop_id, (lower(full_name) collate "C"), guid)
    where deleted_at is null and full_name is not null;

comment on index analytics.customer_metrics_shop_email is
    'Dashboard search by e-mail: a shop''s buyers (guests and registered) by normalised e-mail';
comment on index analytics.customer_metrics_shop_segment is
    'Dashboard Segments page: segment sizes (index-only) and a segment''s customers by total spent, keyset paged';
comment on index sales.customers_shop_name_prefix is
    'Dashboard search by the start of a name, case-insensitive ((lower(full_name) collate "C") LIKE ''prefix%''), in name order';
