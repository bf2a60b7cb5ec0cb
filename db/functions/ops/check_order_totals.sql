/*
 * ops.check_order_totals(p_tolerance_per_line): orders whose lines do not add up to their total
 * where Shoptet's data says they should.
 *
 * What Shoptet's data says (../shared/docs/shoptet-api.md 4.2): an order's price.withVat
 * (sales.orders.total_with_vat) is the sum of its items' itemPrice.withVat (order_items.
 * total_with_vat), every item counted: products, shipping, billing (payment), discount coupons and
 * volume discounts (negative), gifts, services, deposits. Not compared, because they may differ
 * by design: price.toPay (rounded for cash, partial payments), withoutVat and vat (rounded per VAT
 * rate; a discount of several rates is one item). Product sets: the set's line or its component
 * lines carry the price, so an order also passes when its sum without the product-set-item lines
 * matches.
 *
 * Which orders: not deleted, with a total, holding at least one live line with a price (lines
 * deleted at the source left out). Orders with a non-zero total and no live line at all are
 * reported too (their lines were lost).
 * Tolerance: every money value comes rounded to 0.01; should Shoptet sum the unrounded line
 * prices, the total may differ from the sum of the rounded ones by up to half a cent per line:
 * allowed |total - sum| <= greatest(0.01, p_tolerance_per_line x lines) in the order's currency
 * (default 0.005 per line: 0.01 for up to 2 lines, 0.05 for 10).
 * One row per shop and kind (check_name 'order_totals', severity warning): how many orders, the
 * largest difference, five examples (code: total vs sum). Cost: reads every order and line once.
 */
create or replace function ops.check_order_totals(p_tolerance_per_line numeric default 0.005)
returns table (check_name text, severity text, object text, detail text, remedy text)
language sql
stable
set search_path = pg_catalog
-- one pass over every line: a hash of all orders (or all lines' sums) in memory, no parallel
-- workers (each would build the whole hash again), no JIT (seconds of compiling for a plan the
-- planner overprices)
set work_mem = '256MB'
set max_parallel_workers_per_gather = 0
set jit = off
as $$
    with lines as (
        select i.shop_id, i.created_at, i.order_code,
               count(*) as line_count,
               -- sums in whole cents (bigint): a hash entry of a few dozen bytes per order, not the
               -- hundreds two numeric sums take
               sum((i.total_with_vat * 100)::bigint) / 100.0 as lines_sum,
               sum((i.total_with_vat * 100)::bigint) filter (where i.item_type <> 'product-set-item') / 100.0
                   as lines_sum_without_set_items,
               bool_and(i.total_with_vat is not null) as all_priced
        from sales.order_items_all i
        where i.deleted_at is null
        group by i.shop_id, i.created_at, i.order_code
    ),
    compared as (
        select o.shop_id, o.code, o.currency, o.total_with_vat,
               l.lines_sum,
               case when l.order_code is null then 'no_lines'
                    when not l.all_priced then 'unpriced'
                    when abs(o.total_with_vat - l.lines_sum) <= greatest(0.01, p_tolerance_per_line * l.line_count)
                      or abs(o.total_with_vat - coalesce(l.lines_sum_without_set_items, 0))
                         <= greatest(0.01, p_tolerance_per_line * l.line_count) then 'ok'
                    else 'mismatch' end as verdict
        from sales.orders o
        left join lines l on l.shop_id = o.shop_id and l.created_at = o.created_at and l.order_code = o.code
        where o.deleted_at is null
          and o.total_with_vat is not null
    ),
    bad as (
        select c.*, abs(c.total_with_vat - coalesce(c.lines_sum, 0)) as difference
        from compared c
        where c.verdict = 'mismatch' or (c.verdict = 'no_lines' and c.total_with_vat <> 0)
    ),
    per_shop as (
        select b.shop_id, b.verdict, count(*) as order_count, round(max(b.difference), 2) as largest,
               (array_agg(format('%s: %s vs %s %s', b.code, b.total_with_vat, round(coalesce(b.lines_sum, 0), 2), coalesce(b.currency, ''))
                          order by b.difference desc, b.code))[1:5] as examples
        from bad b
        group by b.shop_id, b.verdict
    )
    select 'order_totals', 'warning', format('sales.orders, shop %s', p.shop_id),
           case when p.verdict = 'mismatch'
                then format('%s order(s) whose lines do not add up to their total (largest difference %s); e.g. %s',
                            p.order_count, p.largest, array_to_string(p.examples, '; '))
                else format('%s order(s) with a total but no line; e.g. %s', p.order_count, array_to_string(p.examples, '; '))
           end,
           format('hub snapshot import --shop %s --entity orders --compare-all (re-applies every order with its lines); '
                  'orders still reported: compare with Shoptet''s admin (sales.orders.admin_url) -- if Shoptet shows the same, '
                  'its data is so and nothing is lost (docs/operations.md#integrity-checks)', p.shop_id)
    from per_shop p
    order by p.shop_id, p.verdict
$$;

revoke execute on function ops.check_order_totals(numeric) from public;
grant execute on function ops.check_order_totals(numeric) to hub_app, hub_readonly;

comment on function ops.check_order_totals(numeric) is
    'Orders (not deleted, with a total) whose live lines do not sum to total_with_vat (price.withVat = sum of itemPrice.withVat, all item types; '
    'also passes without product-set-item lines) beyond greatest(0.01, p_tolerance_per_line x lines) in the order currency, '
    'or with a non-zero total and no line: one row per shop and kind (warning)';
