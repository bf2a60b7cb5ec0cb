/*
 * analytics.variant_metrics: inventory intelligence per live variant of a shop, as of the day of
 * its last demand refresh (analytics.refresh_variant_metrics). Demand comes from
 * analytics.variant_demand; stock, supplier terms and settings are read live, so the planning
 * figures follow a stock change or a new lead time at once. Filter on shop_id.
 *
 * With d = units_per_day_90d (mean daily demand over the 90 local days before as_of),
 * sigma = demand_stddev (daily, over the same 90 days, zeros included), L = lead_time_days,
 * z = Phi^-1(service level) (analytics.normal_quantile, Wichura 1988):
 *   safety_stock      = z * sigma * sqrt(L)   (the standard safety-stock formula for normally
 *                       distributed daily demand and a fixed lead time; e.g. Silver, Pyke &
 *                       Thomas, Inventory and Production Management, 2017, ch. 6)
 *   reorder_point     = d * L + safety_stock
 *   annual_demand     D = 365 * d
 *   holding_cost      H = holding_cost_rate * purchase price of one unit, per unit and year
 *   eoq               = sqrt(2 * D * S / H), S = ordering cost per purchase order (Harris, F. W.,
 *                       "How many parts to make at once", Factory, The Magazine of Management
 *                       10(2), 1913)
 *   days_of_stock_left = max(stock, 0) / d
 *   anomaly_z         = (units_per_day_7d - d) / (sigma / sqrt(7)): how many standard errors the
 *                       mean of the last 7 days lies from the 90-day mean (the 90 days include
 *                       those 7, so every figure of the formula is in the row)
 *   anomaly           = |anomaly_z| > 3; null (not assessed) with fewer than 10 sale days in the
 *                       90, where a normal z over mostly-zero days means little; false when
 *                       sigma = 0 (every day the same: no deviation)
 *   order_now         = stock <= reorder_point (the shown, rounded values)
 * L: the supplier's lead_time_days (supplier of the variant's product, not deleted), else the
 * setting inventory.lead_time_days. S: the supplier's ordering_cost, else inventory.ordering_cost.
 * Holding rate: the supplier's holding_cost_rate, else inventory.holding_cost_rate (default 0.25).
 * Seasonality is shown (seasonality, seasonality_index of as_of's month) but not applied to d.
 *
 * Null, with the reason in note, never an error: no sales in the 90 days -> safety_stock,
 * reorder_point, eoq, days_of_stock_left null (units and deviation are 0); no lead time (no
 * supplier, or a supplier without lead time, and no setting) -> safety_stock and reorder_point
 * null; no ordering cost or no purchase price -> eoq null; stock not tracked (null) ->
 * days_of_stock_left and order_now null. Figures are rounded for display (units per day and
 * deviation 4 decimals, quantities 3, days 1, z 2); each is computed from unrounded inputs.
 */
create or replace view analytics.variant_metrics as
with terms as (
    select s.shop_id, t.service_level, t.z, t.lead_time_days, t.ordering_cost, t.holding_cost_rate
    from core.shops s
    cross join lateral analytics.inventory_settings(s.shop_id) t
)
select
    d.shop_id,
    d.variant_code,
    v.product_guid,
    su.guid as supplier_guid,
    su.name as supplier_name,
    st.as_of,
    round(d.units_7d / 7, 4) as units_per_day_7d,
    round(d.units_30d / 30, 4) as units_per_day_30d,
    round(d.units_90d / 90, 4) as units_per_day_90d,
    round(d.demand_stddev, 4) as demand_stddev,
    d.sale_days_90d,
    d.history_months,
    d.seasonality,
    d.seasonality[extract(month from st.as_of)::integer] as seasonality_index,
    v.stock,
    i.lead_time_days,
    i.lead_time_source,
    t.service_level,
    round(t.z::numeric, 4) as z,
    p.safety_stock,
    p.reorder_point,
    p.annual_demand,
    i.ordering_cost,
    p.holding_cost,
    p.eoq,
    p.days_of_stock_left,
    p.anomaly_z,
    case when d.sale_days_90d >= 10 then coalesce(abs(p.anomaly_z) > 3, false) end as anomaly,
    case when v.stock is not null and p.reorder_point is not null then v.stock <= p.reorder_point end as order_now,
    nullif(concat_ws('; ',
        case when d.units_90d <= 0 then 'no sales in the last 90 days: no safety stock, reorder point, EOQ or days of stock left' end,
        case when d.units_90d > 0 and i.lead_time_days is null then
            case when su.guid is null
                 then 'no supplier and no default lead time (setting inventory.lead_time_days): no safety stock or reorder point'
                 else 'supplier ' || su.name || ' has no lead time (catalog.suppliers.lead_time_days) and there is no default (setting inventory.lead_time_days): no safety stock or reorder point' end
        end,
        case when i.lead_time_source = 'setting' then
            case when su.guid is null then 'no supplier: lead time from setting inventory.lead_time_days'
                 else 'supplier ' || su.name || ' has no lead time: lead time from setting inventory.lead_time_days' end
        end,
        case when d.units_90d > 0 and i.ordering_cost is null then
            'no ordering cost (catalog.suppliers.ordering_cost or setting inventory.ordering_cost): no EOQ' end,
        case when d.units_90d > 0 and not coalesce(v.purchase_price > 0, false) then
            'no purchase price (catalog.variants.purchase_price): no EOQ' end,
        case when d.units_90d > 0 and v.stock is null then
            'stock not tracked (catalog.variants.stock is null): no days of stock left, no order advice' end,
        case when d.units_90d > 0 and d.sale_days_90d < 10 then
            'fewer than 10 days with sales in the last 90: anomaly not assessed' end,
        case when d.units_90d > 0 and d.seasonality is null then
            'less than 12 months of sales history: no seasonality' end
    ), '') as note
from analytics.variant_demand d
join analytics.variant_demand_state st on st.shop_id = d.shop_id
join catalog.variants v on v.shop_id = d.shop_id and v.code = d.variant_code and v.deleted_at is null
left join catalog.products pr on pr.shop_id = v.shop_id and pr.guid = v.product_guid
left join catalog.suppliers su on su.shop_id = pr.shop_id and su.guid = pr.supplier_guid and su.deleted_at is null
join terms t on t.shop_id = d.shop_id
cross join lateral (
    select d.units_90d / 90 as mean,
           coalesce(su.lead_time_days, t.lead_time_days) as lead_time_days,
           case when su.lead_time_days is not null then 'supplier'
                when t.lead_time_days is not null then 'setting' end as lead_time_source,
           coalesce(su.ordering_cost, t.ordering_cost) as ordering_cost,
           coalesce(su.holding_cost_rate, t.holding_cost_rate) * v.purchase_price as holding_cost
) i
cross join lateral (
    select case when i.mean > 0 then t.z::numeric * d.demand_stddev * sqrt(i.lead_time_days::numeric) end as safety_stock,
           case when i.mean > 0 then i.mean * 365 end as annual_demand
) x0
cross join lateral (
    select round(x0.safety_stock, 3) as safety_stock,
           round(i.mean * i.lead_time_days + x0.safety_stock, 3) as reorder_point,
           round(x0.annual_demand, 3) as annual_demand,
           round(i.holding_cost, 4) as holding_cost,
           case when i.mean > 0 and i.ordering_cost > 0 and i.holding_cost > 0
                then round(sqrt(2 * x0.annual_demand * i.ordering_cost / i.holding_cost), 3) end as eoq,
           case when i.mean > 0 and v.stock is not null then round(greatest(v.stock, 0) / i.mean, 1) end as days_of_stock_left,
           case when d.demand_stddev > 0
                then round((d.units_7d / 7 - i.mean) / (d.demand_stddev / sqrt(7::numeric)), 2) end as anomaly_z
) p;

comment on view analytics.variant_metrics is
    'Per live variant: units/day 7/30/90 d, daily std dev, seasonality, stock, lead time, safety stock = z*sigma*sqrt(L), reorder point = d*L + SS, EOQ = sqrt(2DS/H) (Harris 1913), days of stock left, anomaly (|z| > 3 of the 7-day mean vs 90 days), order_now; nulls explained in note; filter on shop_id';
