-- Quarterly partitions of sales.order_items with pg_partman, and the archive it retires into.
--
-- pg_partman names the partitions sales.order_items_p2024q1 ...; it keeps 4 quarters made
-- ahead (premake) and a default partition that must stay empty (ops.default_partition_rows
-- reports rows found there, ops.run_maintenance moves them). Partitions older than 2 years are
-- detached and moved into schema archive (retention_keep_table: never dropped), where
-- ops.run_maintenance attaches them to archive.order_items, so sales.order_items_all answers
-- over hot and archived lines with partition pruning on both sides.
-- Older partitions are made on demand by ops.ensure_partitions(p_from) (the importer and the
-- data generator call it before writing old data).

select partman.create_parent(
    p_parent_table => 'sales.order_items',
    p_control => 'created_at',
    p_type => 'native',
    p_interval => 'quarterly',
    p_premake => 4,
    p_start_partition => to_char(date_trunc('quarter', now() - interval '2 years'), 'YYYY-MM-DD')
);

update partman.part_config
set retention = '2 years',
    retention_keep_table = true,
    retention_keep_index = true,
    retention_schema = 'archive',
    infinite_time_partitions = true
where parent_table = 'sales.order_items';

-- the archive parent: same columns, constraints and key, no foreign key (orders stay hot)
create table archive.order_items (
    like sales.order_items including defaults including constraints including comments,
    primary key (shop_id, created_at, order_code, item_id)
) partition by range (created_at);

comment on table archive.order_items is
    'Order lines of quarters older than the 2-year retention: partitions detached from sales.order_items by ops.run_maintenance; query them with sales.order_items_all';
