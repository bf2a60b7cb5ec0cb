/*
 * analytics.note_customer_changes(): statement trigger function on sales.orders and
 * sales.customers: queues in analytics.customer_changes the (shop_id, customer_key) of every row
 * the statement wrote, before and after the write (transition tables old_rows / new_rows), so
 * that a customer who loses an order (another e-mail, a customer GUID now, a cancellation, a
 * deletion) is refreshed as well as the one who gains it. Orders: their customer_key; customers:
 * lower(guid::text) (their account e-mail is the person's e-mail in the metrics). One row per
 * distinct key and statement; the refresh folds duplicates across statements.
 * The triggers are created here too (create or replace trigger), one per event.
 */
create or replace function analytics.note_customer_changes()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
begin
    if tg_table_name = 'orders' then
        if tg_op = 'INSERT' then
            insert into analytics.customer_changes (shop_id, customer_key)
            select distinct n.shop_id, n.customer_key
            from new_rows n
            where n.customer_key is not null;
        elsif tg_op = 'UPDATE' then
            insert into analytics.customer_changes (shop_id, customer_key)
            select distinct x.shop_id, x.customer_key
            from (select n.shop_id, n.customer_key as customer_key from new_rows n
                  union all
                  select o.shop_id, o.customer_key from old_rows o) x
            where x.customer_key is not null;
        else
            insert into analytics.customer_changes (shop_id, customer_key)
            select distinct o.shop_id, o.customer_key
            from old_rows o
            where o.customer_key is not null;
        end if;
    else
        if tg_op = 'INSERT' then
            insert into analytics.customer_changes (shop_id, customer_key)
            select distinct n.shop_id, lower(n.guid::text) from new_rows n;
        elsif tg_op = 'UPDATE' then
            -- only an account e-mail that changed matters to the metrics
            insert into analytics.customer_changes (shop_id, customer_key)
            select distinct n.shop_id, lower(n.guid::text)
            from new_rows n
            join old_rows o on o.shop_id = n.shop_id and o.guid = n.guid
            where o.email is distinct from n.email;
        else
            insert into analytics.customer_changes (shop_id, customer_key)
            select distinct o.shop_id, lower(o.guid::text) from old_rows o;
        end if;
    end if;
    return null;
end
$$;

comment on function analytics.note_customer_changes() is
    'Statement trigger of sales.orders and sales.customers: queues the customer keys a statement touched (before and after) in analytics.customer_changes';

create or replace trigger orders_note_inserts after insert on sales.orders
    referencing new table as new_rows for each statement execute function analytics.note_customer_changes();
create or replace trigger orders_note_updates after update on sales.orders
    referencing old table as old_rows new table as new_rows for each statement execute function analytics.note_customer_changes();
create or replace trigger orders_note_deletes after delete on sales.orders
    referencing old table as old_rows for each statement execute function analytics.note_customer_changes();
create or replace trigger customers_note_inserts after insert on sales.customers
    referencing new table as new_rows for each statement execute function analytics.note_customer_changes();
create or replace trigger customers_note_updates after update on sales.customers
    referencing old table as old_rows new table as new_rows for each statement execute function analytics.note_customer_changes();
create or replace trigger customers_note_deletes after delete on sales.customers
    referencing old table as old_rows for each statement execute function analytics.note_customer_changes();
