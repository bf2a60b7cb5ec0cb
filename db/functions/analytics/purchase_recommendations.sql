/*
 * analytics.purchase_recommendations(p_shop_id): what to order now in a shop, from
 * analytics.variant_metrics, most urgent first (fewest days of stock left). Two kinds of rows:
 *
 *   order now: stock <= reorder_point. quantity follows the (s, nQ) policy with s = the reorder
 *     point and Q = the EOQ rounded up to whole units (at least 1): the smallest number of lots
 *     that lifts the stock above the reorder point, quantity = (floor((s - stock) / Q) + 1) * Q
 *     (e.g. Silver, Pyke & Thomas, Inventory and Production Management, 2017, ch. 7). Without an
 *     EOQ (no ordering cost or purchase price) quantity is null and the reason says what to set.
 *   cannot tell: the variant sells (units_per_day_90d > 0) and its stock is tracked, but it has
 *     no reorder point (no lead time); quantity null, the reason says why and how long the stock
 *     lasts.
 *
 * Variants without sales in the 90 days, with untracked stock (null) or above their reorder point
 * are not listed. reason is plain text naming the figures used (the rounded ones shown in
 * analytics.variant_metrics) and, when a figure is missing, the command that sets it (hub settings
 * set ... --shop N, with an example value).
 */
create or replace function analytics.purchase_recommendations(p_shop_id bigint)
returns table (
    shop_id bigint,
    variant_code text,
    quantity numeric,
    reason text,
    stock numeric,
    reorder_point numeric,
    eoq numeric,
    days_of_stock_left numeric,
    units_per_day_90d numeric,
    lead_time_days integer,
    supplier_guid uuid,
    supplier_name text,
    as_of date
)
language sql
stable
set search_path = pg_catalog
as $$
select
    m.shop_id,
    m.variant_code,
    q.quantity,
    case when m.order_now then
        format('order now: stock %s is at or below the reorder point %s (%s units/day x %s days lead time + safety stock %s)',
               trim_scale(m.stock), trim_scale(m.reorder_point), trim_scale(m.units_per_day_90d), m.lead_time_days,
               trim_scale(m.safety_stock))
        || case when q.quantity is not null
                then format('; %s x %s (EOQ %s rounded up) lifts it above', q.lots, q.lot, trim_scale(m.eoq))
                else '; quantity unknown: ' || case when m.ordering_cost is null
                    then format('no ordering cost: run hub settings set inventory.ordering_cost 500 --type integer --shop %s '
                                '(per purchase order, in the shop''s currency; or set catalog.suppliers.ordering_cost)', m.shop_id)
                    else format('no purchase price: enter it in Shoptet, then run hub sync --shop %s --entity products '
                                '(catalog.variants.purchase_price)', m.shop_id) end
           end
    else
        format('cannot tell: no reorder point without a lead time (%s); stock %s lasts %s days at %s units/day',
               case when m.supplier_guid is null
                    then format('no supplier; run hub settings set inventory.lead_time_days 7 --type integer --shop %s',
                                m.shop_id)
                    else format('run hub settings set inventory.lead_time_days 7 --type integer --shop %s, or set '
                                'catalog.suppliers.lead_time_days of %s', m.shop_id, m.supplier_name) end,
               trim_scale(m.stock), trim_scale(m.days_of_stock_left), trim_scale(m.units_per_day_90d))
    end as reason,
    m.stock,
    m.reorder_point,
    m.eoq,
    m.days_of_stock_left,
    m.units_per_day_90d,
    m.lead_time_days,
    m.supplier_guid,
    m.supplier_name,
    m.as_of
from analytics.variant_metrics m
cross join lateral (
    select case when m.eoq is not null then greatest(ceil(m.eoq), 1) end as lot  -- greatest() skips nulls
) l
cross join lateral (
    select floor((m.reorder_point - m.stock) / l.lot) + 1 as lots
) n
cross join lateral (
    select l.lot, n.lots, case when m.order_now then n.lots * l.lot end as quantity
) q
where m.shop_id = p_shop_id
  and (m.order_now
       or (m.order_now is null and m.units_per_day_90d > 0 and m.stock is not null and m.reorder_point is null))
order by m.days_of_stock_left nulls last, m.variant_code
$$;

comment on function analytics.purchase_recommendations(bigint) is
    'Variants to order now (stock <= reorder point; quantity by the (s, nQ) policy with Q = ceil(EOQ), null without an EOQ) and selling variants without a reorder point (quantity null); reason explains; filter on shop_id';
