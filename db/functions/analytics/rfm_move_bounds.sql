/*
 * analytics.rfm_move_bounds(p_shop_id, p_column, p_customers_before, p_customers_after): one step
 * of the incremental refresh (analytics.refresh_customer_keys), for one RFM score: p_column is
 * last_order_at (recency), orders_count (frequency) or total_spent (monetary). Reads the shop's
 * stored boundaries (analytics.customer_rfm_bounds), the changed customers' values before
 * (temporary table _ck_old) and after (_ck_new), and analytics.customer_metrics_base as already
 * written; returns the new boundaries {values, keys} (JSON arrays of 4), complete (false when a
 * walk found fewer customers than it needed: the stored state was not exact; the caller then
 * rebuilds) and adds to temporary table _ck_rescore every customer a boundary passed over.
 *
 * Why it is exact: a stored boundary K_i = (value, key) is the customer at position b_i(n) of
 * the old ranking (analytics.rfm_bound_positions). Its position among the new rows is
 *     P = b_i(n) + #{changed customers' new (value, key) <= K_i} - #{their old (value, key) <= K_i}
 * (unchanged customers keep their values). The new boundary is the customer at position
 * t = b_i(n'): the (t - P)-th row after K_i in the index order, or the (P - t + 1)-th at or before
 * it walking backwards; |t - P| is at most about twice the number of changed customers, so the
 * walk reads a few index entries. Unchanged customers whose score changes are exactly those the
 * walk passes over (between the old and the new boundary); they are queued for rescoring.
 * The walks and ranges bound shop_id by row comparisons (and <= / >=, never =): with an equality
 * on shop_id the B-tree scan would start at the shop's first entry, not at the boundary.
 * Raises 22023 for another column.
 */
create or replace function analytics.rfm_move_bounds(p_shop_id bigint, p_column text, p_customers_before integer,
                                                     p_customers_after integer)
returns jsonb
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_bounds_column text;
    v_keys_column text;
    v_result jsonb;
begin
    case p_column
        when 'last_order_at' then v_bounds_column := 'recency_at'; v_keys_column := 'recency_key';
        when 'orders_count' then v_bounds_column := 'frequency_orders'; v_keys_column := 'frequency_key';
        when 'total_spent' then v_bounds_column := 'monetary_spent'; v_keys_column := 'monetary_key';
        else raise exception 'analytics.rfm_move_bounds: no RFM score is ranked by %', quote_literal(p_column)
                 using errcode = '22023';
    end case;

    execute format($sql$
        with old_bounds as (
            select b.value, b.key collate "C" as key, b.i,
                   (analytics.rfm_bound_positions($2))[b.i] as old_pos,
                   (analytics.rfm_bound_positions($3))[b.i] as new_pos
            from analytics.customer_rfm_bounds s,
                 unnest(s.%2$I, s.%3$I) with ordinality b(value, key, i)
            where s.shop_id = $1
        ), placed as materialized (
            select ob.*,
                   ob.old_pos
                   + (select count(*) from _ck_new n where (n.%1$I, n.customer_key collate "C") <= (ob.value, ob.key))
                   - (select count(*) from _ck_old o where (o.%1$I, o.customer_key collate "C") <= (ob.value, ob.key))
                   as pos
            from old_bounds ob
        ), walked as materialized (
            -- forward: the new_pos - pos rows after the old boundary, the last is the new one;
            -- backward: the pos - new_pos + 1 rows at or before it, the last is the new one
            select p.i, p.new_pos > p.pos as forward,
                   case when p.new_pos > p.pos then p.new_pos - p.pos else p.pos - p.new_pos + 1 end as wanted,
                   w.value, w.key, w.n
            from placed p
            cross join lateral (
                select f.value, f.key, row_number() over (order by f.value, f.key) as n
                from (select m.%1$I as value, m.customer_key as key
                      from analytics.customer_metrics_base m
                      where p.new_pos > p.pos
                        and m.shop_id <= $1 and (m.shop_id, m.%1$I, m.customer_key) > ($1, p.value, p.key)
                      order by m.shop_id, m.%1$I, m.customer_key
                      limit greatest(0, p.new_pos - p.pos)) f
                union all
                select b.value, b.key, row_number() over (order by b.value desc, b.key desc)
                from (select m.%1$I as value, m.customer_key as key
                      from analytics.customer_metrics_base m
                      where p.new_pos <= p.pos
                        and m.shop_id >= $1 and (m.shop_id, m.%1$I, m.customer_key) <= ($1, p.value, p.key)
                      order by m.shop_id desc, m.%1$I desc, m.customer_key desc
                      limit greatest(0, p.pos - p.new_pos + 1)) b
            ) w
        ), moved as (
            select distinct on (w.i) w.i, w.value, w.key, w.n = w.wanted as complete
            from walked w
            order by w.i, w.n desc
        ), queued as (
            -- the customers a boundary passed over: their score changes
            insert into _ck_rescore (customer_key)
            select w.key from walked w
            returning 1
        )
        select jsonb_build_object(
                   'values', (select jsonb_agg(to_jsonb(mv.value) order by mv.i) from moved mv),
                   'keys', (select jsonb_agg(to_jsonb(mv.key) order by mv.i) from moved mv),
                   'complete', (select count(*) = 4 and bool_and(mv.complete) from moved mv),
                   'queued', (select count(*) from queued))
    $sql$, p_column, v_bounds_column, v_keys_column)
    into v_result
    using p_shop_id, p_customers_before, p_customers_after;
    return v_result;
end
$$;

comment on function analytics.rfm_move_bounds(bigint, text, integer, integer) is
    'Incremental refresh step for one RFM score (last_order_at, orders_count or total_spent): the new quintile boundaries {values, keys} from the stored ones and the changed customers (_ck_old, _ck_new), queueing customers between old and new boundaries in _ck_rescore';
