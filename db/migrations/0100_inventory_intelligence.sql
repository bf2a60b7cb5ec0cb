-- Inventory intelligence (issue 13, items 8 and 9): what purchasing needs to know per supplier,
-- the stored demand of every variant (analytics.variant_demand, the expensive part, refreshed
-- set-based from the order lines) and the state of its refresh. The planning figures (safety
-- stock, reorder point, EOQ, days of stock left) are computed when read, by the view
-- analytics.variant_metrics (db/functions/analytics/variant_metrics.sql), so a change of stock,
-- supplier terms or settings shows at once without a refresh.

-- A supplier's lead time is the merchant's knowledge (Shoptet does not have it): a supplier the
-- import creates has none (null) until the merchant sets it; then the shop's setting
-- inventory.lead_time_days applies, else the variant's reorder point stays null with a reason.
-- Rows that already hold a lead time keep it.
alter table catalog.suppliers
    alter column lead_time_days drop not null,
    alter column lead_time_days drop default,
    add column ordering_cost numeric(14,2),
    add column holding_cost_rate numeric(6,4),
    add constraint suppliers_ordering_cost_positive check (ordering_cost > 0),
    add constraint suppliers_holding_cost_rate_sane check (holding_cost_rate > 0 and holding_cost_rate <= 10);

comment on column catalog.suppliers.lead_time_days is
    'Days from purchase order to stock; set by the merchant (Shoptet does not know it). Null: unknown, the setting inventory.lead_time_days applies';
comment on column catalog.suppliers.ordering_cost is
    'EOQ''s S: fixed cost of one purchase order from this supplier, in the shop''s default currency; null: the setting inventory.ordering_cost applies';
comment on column catalog.suppliers.holding_cost_rate is
    'EOQ''s H as a share of the unit purchase price per year (0.25 = 25 % a year); null: the setting inventory.holding_cost_rate applies (default 0.25)';

create table analytics.variant_demand (
    shop_id        bigint not null references core.shops (shop_id) on delete cascade,
    variant_code   text not null,
    units_7d       numeric(14,3) not null,
    units_30d      numeric(14,3) not null,
    units_90d      numeric(14,3) not null,
    demand_stddev  numeric not null,
    sale_days_90d  integer not null,
    history_months integer not null,
    seasonality    numeric(6,3)[],
    primary key (shop_id, variant_code),
    constraint variant_demand_seasonality_twelve check (seasonality is null or cardinality(seasonality) = 12)
);

comment on table analytics.variant_demand is
    'Demand of every live variant (catalog.variants, not deleted) as of the day in analytics.variant_demand_state: sums of sold units over the last 7/30/90 local days, daily standard deviation, monthly seasonality. Written only by analytics.refresh_variant_metrics*; read through analytics.variant_metrics';
comment on column analytics.variant_demand.variant_code is 'catalog.variants.code (= sales.order_items.code of its lines)';
comment on column analytics.variant_demand.units_7d is
    'Sum of amount of product lines of counted orders (not deleted, status not in analytics.cancelled_status_ids) created in the 7 local calendar days before as_of (as_of itself excluded)';
comment on column analytics.variant_demand.units_30d is 'The same over the 30 local days before as_of';
comment on column analytics.variant_demand.units_90d is 'The same over the 90 local days before as_of';
comment on column analytics.variant_demand.demand_stddev is
    'Sample standard deviation (n - 1) of the 90 daily totals before as_of, days without a sale counted as 0, units per day; rounded to 6 decimals';
comment on column analytics.variant_demand.sale_days_90d is 'Days among those 90 with a non-zero total';
comment on column analytics.variant_demand.history_months is
    'Complete local months (at most 24, the current month excluded) from the first month with a counted sale of the variant within the last 24';
comment on column analytics.variant_demand.seasonality is
    'Monthly seasonality index, January .. December (method of simple averages over units per day of each month of the history; the 12 values average 1); null with less than 12 months of history';

create table analytics.variant_demand_state (
    shop_id              bigint primary key references core.shops (shop_id) on delete cascade,
    as_of                date not null,
    time_zone            text not null,
    cancelled_status_ids integer[] not null,
    changes_from         timestamptz not null,
    full_refreshed_at    timestamptz not null,
    refreshed_at         timestamptz not null
);

comment on table analytics.variant_demand_state is
    'One row per shop whose analytics.variant_demand has been computed: as of which day and with which inputs, and from when order changes may not be reflected yet';
comment on column analytics.variant_demand_state.as_of is
    'The shop''s local day the demand is computed for: its windows end at the start of that day. A refresh on a later day recomputes every variant';
comment on column analytics.variant_demand_state.time_zone is 'core.shops.timezone used for the local days; a change recomputes every variant';
comment on column analytics.variant_demand_state.cancelled_status_ids is 'analytics.cancelled_status_ids used; a change recomputes every variant';
comment on column analytics.variant_demand_state.changes_from is
    'Watermark: orders with synced_at >= this may have changed after the demand was computed (analytics.change_horizon at the start of the last refresh); the next incremental refresh recomputes their variants';
comment on column analytics.variant_demand_state.full_refreshed_at is 'When every variant of the shop was last recomputed';
comment on column analytics.variant_demand_state.refreshed_at is 'When the last refresh (full or incremental) committed its work';

-- orders changed since a watermark (analytics.refresh_variant_metrics finds the variants to
-- recompute through them)
create index orders_shop_synced on sales.orders (shop_id, synced_at);

create table analytics.variant_code_changes (
    shop_id      bigint not null references core.shops (shop_id) on delete cascade,
    variant_code text not null,
    primary key (shop_id, variant_code)
);

comment on table analytics.variant_code_changes is
    'Variant codes an order line was changed away from (an update of sales.order_items or archive.order_items that gave a line another code or another created_at; trigger analytics.order_lines_code_changed): the old variant''s demand is recomputed and the row consumed by the next analytics.refresh_variant_metrics. The new code is found through the order''s synced_at';

-- orders deleted at the source, by shop and time (analytics.variant_demand_of leaves their lines out)
create index orders_shop_deleted on sales.orders (shop_id, created_at) where deleted_at is not null;
