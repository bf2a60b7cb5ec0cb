-- Search (issue 16): "company starts with" for sales.search_customers and sales.search_orders, in
-- index order like the other prefix keys of 0143 (a company's first word was otherwise a trigram
-- search, whose common trigrams make it slow on a big shop). Partial on rows with a company: few.
create index customers_search_company on sales.customers (shop_id, (core.search_fold(company)) collate "C")
    where deleted_at is null and company is not null;
create index orders_search_company on sales.orders (shop_id, (core.search_fold(company)) collate "C", created_at desc)
    where deleted_at is null and company is not null;
