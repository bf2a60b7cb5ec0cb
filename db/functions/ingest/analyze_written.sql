/*
 * ingest.analyze_written(p_entity): after an import or a sync of a shop's entity (orders,
 * customers, products), ANALYZE the tables it writes that got many rows since their last
 * ANALYZE, so the planner and the dashboard's row estimates (pg_class.reltuples) know them.
 * Tables per entity: orders -> sales.orders, sales.order_items, archive.order_items; customers ->
 * sales.customers; products -> catalog.products, catalog.variants, catalog.product_texts,
 * catalog.categories, catalog.suppliers.
 *
 * Per table, and for a partitioned one per leaf partition (pg_partition_tree): analyzed when it
 * was never analyzed (reltuples -1) and is not empty, or when the rows inserted, updated and
 * deleted since its last ANALYZE (pg_stat_get_mod_since_analyze, plus the counts of this session
 * not yet flushed to it: pg_stat_get_xact_tuples_*) are >= max(50, 10 % of reltuples): autovacuum's
 * own rule with its default settings, applied at once instead of within a minute. The caller
 * flushes its session's counters first (pg_stat_force_next_flush, runner/sql/ingest.sql), else
 * rows written before the ANALYZE are counted as changed after it. A partitioned table never
 * analyzed itself (autovacuum never analyzes a partitioned parent) is analyzed whole when any of
 * its partitions qualifies: PostgreSQL 15 then samples the whole tree for the parent's statistics
 * and analyzes every partition once (a first import writes all of them anyway); afterwards only
 * the partitions written are.
 *
 * Why: nothing analyzed after an import; a snapshot's first load COPYs orders and their lines
 * straight into their tables (runner/shoptet/ingest.py _copy_new_orders) without the apply
 * functions' ingest.analyze_while_small, so the Database page showed 0 rows for order_items and
 * its hot partitions (newcomer finding 14), and plans read blind statistics.
 * Cost: a catalog read per call; ANALYZE reads a sample of at most 30,000 rows per table
 * (default_statistics_target 100), only of what was written.
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
               or pg_stat_get_mod_since_analyze(l.leaf) + pg_stat_get_xact_tuples_inserted(l.leaf)
                  + pg_stat_get_xact_tuples_updated(l.leaf) + pg_stat_get_xact_tuples_deleted(l.leaf)
                  >= greatest(50, 0.1 * l.reltuples)
        )
        -- a partitioned table never analyzed: the whole tree once (ANALYZE recurses)
        select distinct d.tbl
        from due d join pg_class c on c.oid = d.tbl
        where c.relkind = 'p' and c.reltuples < 0
        union all
        select d.leaf
        from due d join pg_class c on c.oid = d.tbl
        where not (c.relkind = 'p' and c.reltuples < 0)
    loop
        execute format('analyze %s', v_table);
        v_done := v_done || v_table::text;
    end loop;
    return v_done;
end
$$;

comment on function ingest.analyze_written(text) is
    'After an import or sync of an entity (orders|customers|products): ANALYZE its tables and partitions written since their last ANALYZE (never analyzed and not empty, or >= max(50, 10 % of reltuples) rows changed); a partitioned parent never analyzed is analyzed whole once; security definer; returns the tables analyzed';
