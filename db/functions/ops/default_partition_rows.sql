/*
 * ops.default_partition_rows: monitoring — rows sitting in a default partition of any
 * pg_partman-managed table (they should be none; ops.run_maintenance moves them).
 */
create or replace view ops.default_partition_rows as
select d.default_table, d.count as row_count
from partman.check_default(p_exact_count => true) d;

comment on view ops.default_partition_rows is
    'Monitoring: rows found in default partitions (should be none; ops.run_maintenance moves them)';
