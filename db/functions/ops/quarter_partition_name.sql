/*
 * ops.quarter_partition_name(p_table, p_at): the pg_partman name of the quarterly partition of
 * p_table that holds p_at, e.g. ('order_items', '2024-05-02') -> 'order_items_p2024q2'.
 */
create or replace function ops.quarter_partition_name(p_table text, p_at timestamptz)
returns text
language sql
immutable strict parallel safe
set search_path = pg_catalog
as $$
    select p_table || '_p' || to_char(p_at at time zone 'UTC', 'YYYY"q"Q')
$$;

comment on function ops.quarter_partition_name(text, timestamptz) is
    'Name of the quarterly partition of a table holding a time (pg_partman style: order_items_p2024q2)';
