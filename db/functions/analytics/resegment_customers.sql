/*
 * analytics.resegment_customers(p_shop_ids): give the customers of these shops (null: every shop)
 * the segment their RFM scores have in the shop's segment map now (analytics.rfm_segment_cells);
 * only rows whose segment changes are written, and the shops' customers re-tagged
 * (analytics.apply_tag_rules) when any changed. Run by the trigger on analytics.rfm_segment_map,
 * so a changed map applies at once. Returns the rows changed.
 */
create or replace function analytics.resegment_customers(p_shop_ids bigint[] default null)
returns bigint
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_rows bigint;
begin
    -- after any refresh of these shops running now (each writes segments from the map it read)
    perform analytics.customer_metrics_lock(s.shop_id)
    from core.shops s
    where p_shop_ids is null or s.shop_id = any (p_shop_ids)
    order by s.shop_id;
    update analytics.customer_metrics_base m
    set rfm_segment = c.segment, computed_at = now()
    from (select s.shop_id, cell.r, cell.f, cell.m, cell.segment
          from core.shops s
          cross join lateral analytics.rfm_segment_cells(s.shop_id) cell
          where p_shop_ids is null or s.shop_id = any (p_shop_ids)) c
    where m.shop_id = c.shop_id
      and m.recency_score = c.r and m.frequency_score = c.f and m.monetary_score = c.m
      and m.rfm_segment is distinct from c.segment;
    get diagnostics v_rows = row_count;
    -- tags that test rfm_segment follow the new segments
    if v_rows > 0 then
        perform analytics.apply_tag_rules(s.shop_id)
        from core.shops s
        where p_shop_ids is null or s.shop_id = any (p_shop_ids)
        order by s.shop_id;
    end if;
    return v_rows;
end
$$;

comment on function analytics.resegment_customers(bigint[]) is
    'Re-derive rfm_segment of these shops'' customers (null: all) from the current segment map; returns rows changed';
