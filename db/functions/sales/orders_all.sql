/*
 * sales.orders_all: every order. Orders are not partitioned (an order is identified by
 * (shop_id, code), which a partitioned table cannot keep unique), so nothing of them is ever
 * archived; the view exists so that queries over history read the same for orders and lines.
 */
create or replace view sales.orders_all as
select * from sales.orders;

comment on view sales.orders_all is
    'Every order (orders are never archived: the table is not partitioned); pairs with sales.order_items_all';
