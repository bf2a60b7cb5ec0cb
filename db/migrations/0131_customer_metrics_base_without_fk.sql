-- analytics.customer_metrics_base loses its foreign key to core.shops: the key's check ran once
-- for every row written (an RI trigger: a locking look-up of the shop per row), which was the
-- larger part of a first fill's writing (about a million rows at the seeds' size; measured: an
-- insert of 1 M rows 5 s without, 39 s with it on the shared machine). The writers
-- (analytics.rebuild_customer_metrics, analytics.refresh_customer_keys) lock the shop's row
-- FOR KEY SHARE once instead, which is what the per-row check did; ops.purge_shop deletes the
-- shop's rows before the shop, as it does for analytics.customer_tags (which never had one).
alter table analytics.customer_metrics_base drop constraint customer_metrics_shop_id_fkey;

comment on column analytics.customer_metrics_base.shop_id is
    'The shop (core.shops.shop_id). No foreign key (migration 0131: checked per row it slowed a full fill several-fold); the writers lock the shop''s row for key share instead';
