-- Queries of `hub db check` (runner/integrity.py): each check is a function of
-- db/functions/ops/ returning (check_name, severity, object, detail, remedy).

-- name: btree_indexes
-- the indexes amcheck reads, smallest first (progress moves by bytes)
select index_oid, index_name, bytes, table_bytes
from ops.btree_indexes
order by bytes, index_name;

-- name: check_btree_index
select check_name, severity, object, detail, remedy
from ops.check_btree_index(%(index_oid)s::oid, %(heapallindexed)s::boolean);

-- name: check_orphan_order_lines
select check_name, severity, object, detail, remedy from ops.check_orphan_order_lines();

-- name: check_default_partitions
select check_name, severity, object, detail, remedy from ops.check_default_partitions();

-- name: check_order_totals
select check_name, severity, object, detail, remedy from ops.check_order_totals(%(tolerance_per_line)s::numeric);

-- name: check_premake_partitions
select check_name, severity, object, detail, remedy from ops.check_premake_partitions();

-- name: check_remote_counts
select check_name, severity, object, detail, remedy from ops.check_remote_counts(%(remote)s::jsonb);

-- name: remote_shops
-- the shops --remote asks Shoptet about: active ones, or those named (an unknown id is missing here)
select shop_id from core.shops
where (%(shop_ids)s::bigint[] is null and status = 'active') or shop_id = any(%(shop_ids)s::bigint[])
order by shop_id;
