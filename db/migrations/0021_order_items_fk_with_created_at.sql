-- The foreign key of order lines to their order includes the partition key.
--
-- With (shop_id, order_code) alone, every order deleted (a purge, a regenerated benchmark
-- shop) made PostgreSQL look for its lines by (shop_id, order_code) in every partition: no
-- index leads with those columns, so removing a big shop was quadratic. Lines carry their
-- order's created_at anyway (it is their partition key); referencing
-- (shop_id, created_at, code) makes that lookup an index probe into one partition, lets
-- PostgreSQL enforce that a line sits in its order's quarter, and moves the lines with
-- their order when Shoptet changes an order's creation time (on update cascade).

create unique index orders_shop_created_code on sales.orders (shop_id, created_at, code);
alter table sales.orders add constraint orders_shop_created_code_unique
    unique using index orders_shop_created_code;

alter table sales.order_items drop constraint order_items_shop_id_order_code_fkey;
alter table sales.order_items add constraint order_items_order_fkey
    foreign key (shop_id, created_at, order_code) references sales.orders (shop_id, created_at, code)
    on delete cascade on update cascade;

comment on constraint orders_shop_created_code_unique on sales.orders is
    'Target of the order lines'' foreign key: (shop_id, created_at, code), created_at being their partition key';
