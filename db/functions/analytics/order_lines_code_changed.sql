/*
 * analytics.order_lines_code_changed(): statement trigger (after update) on sales.order_items and
 * archive.order_items. An updated order's lines are upserted by item id, so a line whose variant
 * code changed keeps no trace of the old code, and a line whose order moved in time no trace of
 * the day it left; the old codes of such lines are put into analytics.variant_code_changes for the
 * next incremental analytics.refresh_variant_metrics (which finds the current codes through the
 * order's synced_at, and leaves out orders created today: today is outside every window).
 * Set-based over the statement's transition tables; updates that keep every code and time (the
 * usual case) write nothing.
 */
create or replace function analytics.order_lines_code_changed()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
begin
    insert into analytics.variant_code_changes (shop_id, variant_code)
    select distinct o.shop_id, o.code
    from old_lines o
    join new_lines n on n.shop_id = o.shop_id and n.order_code = o.order_code and n.item_id = o.item_id
    where o.code is not null and (o.code is distinct from n.code or o.created_at <> n.created_at)
    on conflict do nothing;
    return null;
end
$$;

comment on function analytics.order_lines_code_changed() is
    'Trigger: old variant codes of order lines updated to another code or moved in time go into analytics.variant_code_changes (for the incremental inventory refresh)';

create or replace trigger order_lines_code_changed
    after update on sales.order_items
    referencing old table as old_lines new table as new_lines
    for each statement execute function analytics.order_lines_code_changed();

create or replace trigger order_lines_code_changed
    after update on archive.order_items
    referencing old table as old_lines new table as new_lines
    for each statement execute function analytics.order_lines_code_changed();
