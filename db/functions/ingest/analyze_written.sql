/*
 * ingest.analyze_written(p_entity): after a snapshot import or a sync of a shop's entity (orders,
 * customers, products), refresh the size statistics (pg_class.reltuples, relpages) of the tables
 * and partitions it wrote whose statistics have fallen behind, so the dashboard's row estimates
 * and the planner know their size at once. Tables per entity: orders -> sales.orders,
 * sales.order_items, archive.order_items; customers -> sales.customers; products ->
 * catalog.products, catalog.variants, catalog.product_texts, catalog.categories, catalog.suppliers.
 *
 * Per table, and for a partitioned one per leaf partition: refreshed when it was never analyzed
 * (reltuples -1) and is not empty, or when its live rows (ingest.live_rows: pg_stat_get_live_tuples
 * plus this transaction's inserts less deletes, not yet counted there) differ from reltuples by
 * max(50, 10 % of reltuples) or more -- autovacuum's analyze threshold with its default settings,
 * here on the count, at once instead of within a minute. The caller flushes its session's counters
 * first (pg_stat_force_next_flush, runner/sql/ingest.sql): they reach pg_stat_* at most once a
 * second. A partitioned table never analyzed itself (autovacuum never analyzes a partitioned
 * parent) is analyzed whole when any of its partitions qualifies (ANALYZE recurses into every
 * partition): its own reltuples is set then; afterwards only the partitions written are.
 *
 * Cheap, as ingest.analyze_while_small: ingest.analyze_size, ANALYZE of the primary key's first
 * column (shop_id) at a statistics target of 10 (a sample of 3,000 rows; pages up to 3,000 are all
 * read, so a partition of up to ~200,000 lines is counted exactly). A column-limited ANALYZE does not reset the count
 * of changes since the last full one, so autovacuum still analyzes every written partition and
 * table in full (all columns, at the configured target) soon after.
 *
 * Why: nothing refreshed statistics at the end of an import: a snapshot's first load COPYs orders
 * and lines straight into their partitions (runner/shoptet/ingest.py _copy_new_orders) without the
 * apply functions' analyze_while_small, and autovacuum never analyzes a partitioned parent, so the
 * Database page showed 0 rows for sales.order_items and its hot partitions (newcomer finding 14).
 * Runs as hub_owner (security definer): ANALYZE needs the table's owner; the importer is hub_app.
 * Returns the tables analyzed (text[], '{}' when none); an unknown entity raises 22023.
 */
create or replace function ingest.analyze_written(p_entity text)
returns text[]
language plpgsql
security definer
set search_path = pg_catalog
as $$
declare
    v_tables regclass[];
    v_table regclass;
    v_done text[] := '{}';
begin
    v_tables := case p_entity
        when 'orders' then array['sales.orders', 'sales.order_items', 'archive.order_items']::regclass[]
        when 'customers' then array['sales.customers']::regclass[]
        when 'products' then array['catalog.products', 'catalog.variants', 'catalog.product_texts',
                                   'catalog.categories', 'catalog.suppliers']::regclass[]
    end;
    if v_tables is null then
        raise exception 'ingest.analyze_written: unknown entity %, expected orders, customers or products', p_entity
            using errcode = '22023';
    end if;
    for v_table in
        with leaves as (
            -- a plain table itself, a partitioned one its leaf partitions
            select t.tbl, l.oid as leaf, l.reltuples
            from unnest(v_tables) t(tbl)
            join pg_class l on l.oid = t.tbl
                            or l.oid in (select p.relid from pg_partition_tree(t.tbl) p where p.isleaf)
            where l.relkind = 'r'
        ), due as (
            select l.tbl, l.leaf
            from leaves l
            where (l.reltuples < 0 and pg_relation_size(l.leaf) > 0)
               or (l.reltuples >= 0
                   and abs(ingest.live_rows(l.leaf) - l.reltuples) >= greatest(50, 0.1 * l.reltuples))
        ), targets as (
            -- a partitioned table never analyzed: the whole tree once (ANALYZE recurses)
            select distinct d.tbl as target
            from due d join pg_class c on c.oid = d.tbl
            where c.relkind = 'p' and c.reltuples < 0
            union all
            select d.leaf
            from due d join pg_class c on c.oid = d.tbl
            where not (c.relkind = 'p' and c.reltuples < 0)
        )
        select t.target::regclass
        from targets t
    loop
        perform ingest.analyze_size(v_table);
        v_done := v_done || v_table::text;
    end loop;
    return v_done;
end
$$;

comment on function ingest.analyze_written(text) is
    'After an import or sync of an entity (orders|customers|products): refresh the size statistics (reltuples) of its tables and partitions never analyzed or whose live rows differ from reltuples by >= max(50, 10 %); a partitioned parent never analyzed is analyzed whole once; ANALYZE of the primary key''s first column at statistics target 10 (autovacuum still runs the full one); security definer; returns the tables analyzed';
