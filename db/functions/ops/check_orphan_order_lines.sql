/*
 * ops.check_orphan_order_lines(): order lines, hot (sales.order_items) and archived
 * (archive.order_items), whose order (shop_id, created_at, code) is not in sales.orders. The
 * foreign key of hot lines forbids them, so any is a sign that it was bypassed (a session with
 * session_replication_role = replica, a restore of some tables only) or of corruption; archived
 * lines have no foreign key (their orders stay hot), so a purge by hand can leave them.
 * One row per shop, kind and table (check_name 'orphan_order_lines', severity critical): how many
 * lines of how many orders, five order codes for example, and whether the order exists with
 * another creation time (its lines are in the wrong quarter) or not at all.
 * Cost: reads every line once (a hash anti-join against sales.orders).
 */
create or replace function ops.check_orphan_order_lines()
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
        select 'sales.order_items' as table_name, i.shop_id, i.order_code, i.created_at
        from sales.order_items i
        union all
        select 'archive.order_items', a.shop_id, a.order_code, a.created_at
        from archive.order_items a
    ),
    orphans as materialized (
        select l.table_name, l.shop_id, l.order_code
        from lines l
        where not exists (
            select from sales.orders o
            where o.shop_id = l.shop_id and o.created_at = l.created_at and o.code = l.order_code)
    ),
    classified as (
        select o.table_name, o.shop_id, o.order_code,
               exists (select from sales.orders x where x.shop_id = o.shop_id and x.code = o.order_code) as moved
        from orphans o
    ),
    per_shop as (
        select c.table_name, c.shop_id, c.moved, count(*) as line_count,
               count(distinct c.order_code) as order_count,
               (array_agg(distinct c.order_code))[1:5] as examples
        from classified c
        group by c.table_name, c.shop_id, c.moved
    )
    select 'orphan_order_lines', 'critical',
           format('%s, shop %s', p.table_name, p.shop_id),
           format('%s line(s) of %s order(s) %s; e.g. %s', p.line_count, p.order_count,
                  case when p.moved then 'whose order has another creation time (the lines sit in the wrong quarter)'
                       else 'without their order in sales.orders' end,
                  array_to_string(p.examples, ', ')),
           case when p.moved
                then format('re-apply the orders: hub snapshot import --shop %s --entity orders --compare-all; '
                            'lines of an order Shoptet changed since are replaced with it', p.shop_id)
                else format('hub snapshot import --shop %s --entity orders brings back the orders Shoptet still has; '
                            'lines of orders it no longer has: delete from %s where shop_id = %s and order_code = any(...) '
                            '(docs/operations.md#integrity-checks)', p.shop_id, p.table_name, p.shop_id)
           end
    from per_shop p
    order by p.shop_id, p.table_name, p.moved
$$;

revoke execute on function ops.check_orphan_order_lines() from public;
grant execute on function ops.check_orphan_order_lines() to hub_app, hub_readonly;

comment on function ops.check_orphan_order_lines() is
    'Order lines (hot and archived) whose order (shop_id, created_at, code) is not in sales.orders: one row per shop, table and kind (critical), with example codes; reads every line';
