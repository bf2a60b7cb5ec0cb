-- analytics.customer_metrics_email goes: analytics.master_customer_metrics groups a master's
-- customers by coalesce(email, shop:key) and ranks the whole group, so no reader looks a
-- person up by this index, while every write of a customer's metrics (the full refresh's
-- inserts, the incremental refresh's updates) paid for it.
drop index analytics.customer_metrics_email;
