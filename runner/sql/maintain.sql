-- Queries of `hub db maintain` (runner/maintain.py).

-- name: run_maintenance
select ops.run_maintenance();

-- name: default_partition_rows
select default_table, row_count from ops.default_partition_rows;
