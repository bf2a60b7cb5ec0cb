/*
 * analytics.rfm_segment_map_changed(): statement trigger function on analytics.rfm_segment_map:
 * after a change, the shops it concerns are re-segmented (analytics.resegment_customers): the
 * shop of a changed shop rule, and every shop (those with their own map keep their segments)
 * when a default rule (shop_id null) changed. The triggers are created here too.
 */
create or replace function analytics.rfm_segment_map_changed()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_shops bigint[];
    v_default boolean;
begin
    if tg_op = 'INSERT' then
        select array_agg(distinct n.shop_id) filter (where n.shop_id is not null), bool_or(n.shop_id is null)
        into v_shops, v_default from new_rows n;
    elsif tg_op = 'UPDATE' then
        select array_agg(distinct x.shop_id) filter (where x.shop_id is not null), bool_or(x.shop_id is null)
        into v_shops, v_default
        from (select n.shop_id from new_rows n union all select o.shop_id from old_rows o) x;
    else
        select array_agg(distinct o.shop_id) filter (where o.shop_id is not null), bool_or(o.shop_id is null)
        into v_shops, v_default from old_rows o;
    end if;
    if coalesce(v_default, false) then
        perform analytics.resegment_customers(null);
    elsif v_shops is not null then
        perform analytics.resegment_customers(v_shops);
    end if;
    return null;
end
$$;

comment on function analytics.rfm_segment_map_changed() is
    'Statement trigger of analytics.rfm_segment_map: re-segments the shops a change concerns (all shops for a default rule)';

create or replace trigger rfm_segment_map_inserts after insert on analytics.rfm_segment_map
    referencing new table as new_rows for each statement execute function analytics.rfm_segment_map_changed();
create or replace trigger rfm_segment_map_updates after update on analytics.rfm_segment_map
    referencing old table as old_rows new table as new_rows for each statement execute function analytics.rfm_segment_map_changed();
create or replace trigger rfm_segment_map_deletes after delete on analytics.rfm_segment_map
    referencing old table as old_rows for each statement execute function analytics.rfm_segment_map_changed();
