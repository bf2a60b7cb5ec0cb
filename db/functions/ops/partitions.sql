/*
 * ops.partitions: every partition of sales.order_items and archive.order_items, with its range,
 * whether it is hot or archived, its estimated rows and size — for the dashboard and DBAs.
 * estimated_rows is pg_class.reltuples (0 when never analyzed: analyzed false, the count unknown).
 */
create or replace view ops.partitions as
select
    parent.relnamespace::regnamespace::text || '.' || parent.relname as parent_table,
    child.relnamespace::regnamespace::text || '.' || child.relname as partition,
    case when parent.relnamespace = 'archive'::regnamespace then 'archived' else 'hot' end as tier,
    pg_get_expr(child.relpartbound, child.oid) as bounds,
    greatest(child.reltuples, 0)::bigint as estimated_rows,
    pg_total_relation_size(child.oid) as total_bytes,
    child.reltuples >= 0 as analyzed
from pg_inherits i
join pg_class parent on parent.oid = i.inhparent
join pg_class child on child.oid = i.inhrelid
where i.inhparent in ('sales.order_items'::regclass, 'archive.order_items'::regclass);

comment on view ops.partitions is
    'Partitions of order items, hot (sales) and archived, with bounds, estimated rows and size';
comment on column ops.partitions.analyzed is
    'Whether the partition has statistics (ANALYZE or VACUUM ran); false: estimated_rows 0 means unknown';
