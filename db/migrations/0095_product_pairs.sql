-- Frequently bought together (issue 13 item 7): the per-shop association statistics of products
-- bought in the same order, materialised by analytics.refresh_product_pairs and read by
-- analytics.frequently_bought_together and analytics.customer_recommendations.
--
-- Level: the PRODUCT (Shoptet productGuid), not the variant: the variants of one product are its
-- sizes or colours, and "bought a T-shirt in M" should neither recommend the same T-shirt in L nor
-- split the T-shirt's evidence over four codes. A refresh replaces a shop's rows in one
-- transaction (delete + insert): readers see the old rows until it commits, never a half state.

create table analytics.product_pair_runs (
    shop_id        bigint primary key references core.shops (shop_id) on delete cascade,
    baskets        bigint not null,
    products       integer not null,
    pairs          bigint not null,
    min_support    numeric not null,
    min_orders     integer not null,
    days           integer not null,
    refreshed_at   timestamptz not null default now(),
    duration_ms    integer not null
);

comment on table analytics.product_pair_runs is
    'The last refresh of a shop''s frequently-bought-together statistics (analytics.refresh_product_pairs): its basket count and thresholds';
comment on column analytics.product_pair_runs.baskets is
    'N: counted orders (not deleted, not in analytics.cancelled_status_ids) with at least one product line; the denominator of support';
comment on column analytics.product_pair_runs.products is 'Products that occur in at least one basket (rows of analytics.product_popularity)';
comment on column analytics.product_pair_runs.pairs is 'Ordered pairs kept (rows of analytics.product_pairs; each unordered pair twice)';
comment on column analytics.product_pair_runs.min_support is 'Minimum support used (a fraction of baskets, 0-1)';
comment on column analytics.product_pair_runs.min_orders is 'Minimum number of orders with both products used (an absolute floor next to min_support)';
comment on column analytics.product_pair_runs.days is 'Baskets of the last this many calendar days of the shop (today included); 0 = the whole history';
comment on column analytics.product_pair_runs.duration_ms is 'How long the refresh took, milliseconds';

-- product_popularity and product_pairs have no foreign key to core.shops: a refresh writes up to
-- millions of rows, each of which would run the check; ops.purge_shop deletes their rows.
create table analytics.product_popularity (
    shop_id      bigint not null,
    product_guid uuid not null,
    orders_count integer not null,
    support      double precision not null,
    rank         integer,
    primary key (shop_id, product_guid)
);

comment on table analytics.product_popularity is
    'Per product of a shop: in how many baskets (counted orders) it was bought; filled by analytics.refresh_product_pairs';
comment on column analytics.product_popularity.orders_count is 'n(A): counted orders with at least one product line of this product';
comment on column analytics.product_popularity.support is 'support(A) = n(A) / N, N = analytics.product_pair_runs.baskets';
comment on column analytics.product_popularity.rank is
    '1 = the shop''s best seller (orders_count desc, then product_guid); null for a product deleted in catalog.products at refresh time (not recommended)';

-- the best sellers of a shop (the recommendations' fallback for customers without pairs)
create index product_popularity_rank on analytics.product_popularity (shop_id, rank) where rank is not null;

create table analytics.product_pairs (
    shop_id            bigint not null,
    product_guid       uuid not null,
    other_product_guid uuid not null,
    orders_together    integer not null,
    support            double precision not null,
    confidence         double precision not null,
    lift               double precision not null,
    rank               integer,
    primary key (shop_id, product_guid, other_product_guid),
    constraint product_pairs_distinct check (product_guid <> other_product_guid)
);

comment on table analytics.product_pairs is
    'Association rules A -> B between products bought in the same counted order, per shop, with support >= the minimum; '
    'both directions stored (A -> B and B -> A). Filled by analytics.refresh_product_pairs';
comment on column analytics.product_pairs.product_guid is 'A: the product the customer has (or looks at)';
comment on column analytics.product_pairs.other_product_guid is 'B: the product bought together with A';
comment on column analytics.product_pairs.orders_together is 'n(A and B): counted orders holding both products';
comment on column analytics.product_pairs.support is 'support(A, B) = n(A and B) / N (N: analytics.product_pair_runs.baskets)';
comment on column analytics.product_pairs.confidence is 'confidence(A -> B) = n(A and B) / n(A): the share of A''s orders that also hold B';
comment on column analytics.product_pairs.lift is
    'lift(A -> B) = confidence(A -> B) / support(B) = n(A and B) * N / (n(A) * n(B)); > 1: bought together more often than by chance';

comment on column analytics.product_pairs.rank is
    'B''s place among A''s partners: 1 = highest confidence (then lift, then orders_together, then other_product_guid); '
    'null when B was deleted in catalog.products at refresh time (not recommended)';

-- a product's best partners in order (analytics.frequently_bought_together, analytics.customer_recommendations)
create index product_pairs_rank on analytics.product_pairs (shop_id, product_guid, rank) where rank is not null;
