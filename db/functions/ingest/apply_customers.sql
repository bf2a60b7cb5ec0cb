/*
 * ingest.apply_customers(p_shop_id, p_batch_id, p_job_id): upsert the customers staged under
 * p_batch_id into sales.customers, set-based, then empty the batch.
 *
 * Written only when new, soft-deleted, or changed and not older (changeTime) than the stored
 * row: re-applying the same file writes nothing. The e-mail is stored as core.normalize_email
 * gives it. An e-mail already held by another live customer of the shop (equal under
 * core.normalize_email; sales.customers_shop_email is unique) is not taken over: the customer
 * is stored without it and, when p_job_id is given, the line gets a warning (field 'email') in
 * ingest.snapshot_failures. Returns jsonb: customers_written, email_conflicts (customers stored
 * without their e-mail) and email_conflict_guids (their GUIDs, for the caller's log).
 */
create or replace function ingest.apply_customers(p_shop_id bigint, p_batch_id bigint, p_job_id bigint default null)
returns jsonb
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_written integer;
    v_conflicts jsonb;
begin
    with src as (
        select distinct on (s.guid) s.*
        from ingest.stage_customers s
        where s.batch_id = p_batch_id
        order by s.guid, s.changed_at desc nulls last, s.line_no desc
    ), normalised as (
        select s.*, core.normalize_email(s.email) as email_norm
        from src s
    ), ranked as (
        select s.*,
               row_number() over (partition by s.email_norm order by s.changed_at desc nulls last, s.line_no desc)
                   as email_rank,
               (select c.guid from sales.customers c
                where c.shop_id = p_shop_id and core.normalize_email(c.email) = s.email_norm
                  and c.email is not null and c.deleted_at is null and c.guid <> s.guid
                limit 1) as email_holder
        from normalised s
    ), conflicts as (
        insert into ingest.snapshot_failures (shop_id, job_id, line_no, severity, field, error, raw_line)
        select p_shop_id, p_job_id, r.line_no, 'warning', 'email',
               format('customer %s: e-mail %s already belongs to customer %s; stored without e-mail',
                      r.guid, r.email_norm, coalesce(r.email_holder::text, 'of an earlier line')),
               null
        from ranked r
        where p_job_id is not null and r.email_norm is not null and (r.email_holder is not null or r.email_rank > 1)
        on conflict do nothing
        returning 1
    ), written as (
        insert into sales.customers as c (
            shop_id, guid, email, full_name, company, phone, customer_group, price_list, disabled_orders,
            remark, billing_address, delivery_addresses, accounts, created_at, changed_at, source_hash, synced_at,
            deleted_at)
        select p_shop_id, r.guid,
               case when r.email_holder is null and r.email_rank = 1 then r.email_norm end,
               r.full_name, r.company, r.phone, r.customer_group, r.price_list, coalesce(r.disabled_orders, false),
               r.remark, r.billing_address, r.delivery_addresses, r.accounts, r.created_at, r.changed_at, r.source_hash,
               now(), null
        from ranked r
        on conflict (shop_id, guid) do update set
            email = excluded.email, full_name = excluded.full_name, company = excluded.company,
            phone = excluded.phone, customer_group = excluded.customer_group, price_list = excluded.price_list,
            disabled_orders = excluded.disabled_orders, remark = excluded.remark,
            billing_address = excluded.billing_address, delivery_addresses = excluded.delivery_addresses,
            accounts = excluded.accounts, created_at = excluded.created_at, changed_at = excluded.changed_at,
            source_hash = excluded.source_hash, synced_at = now(), deleted_at = null
        where c.deleted_at is not null
           or ((c.changed_at is null or excluded.changed_at is null or excluded.changed_at >= c.changed_at)
               and (c.email, c.full_name, c.company, c.phone, c.customer_group, c.price_list, c.disabled_orders,
                    c.remark, c.billing_address, c.delivery_addresses, c.accounts, c.created_at, c.changed_at)
                   is distinct from
                   (excluded.email, excluded.full_name, excluded.company, excluded.phone, excluded.customer_group,
                    excluded.price_list, excluded.disabled_orders, excluded.remark, excluded.billing_address,
                    excluded.delivery_addresses, excluded.accounts, excluded.created_at, excluded.changed_at))
        returning 1
    )
    -- (the conflicts CTE runs whether or not it is read: data-modifying CTEs always do)
    select (select count(*) from written),
           (select coalesce(jsonb_agg(r.guid order by r.line_no), '[]') from ranked r
            where r.email_norm is not null and (r.email_holder is not null or r.email_rank > 1))
    into v_written, v_conflicts;

    -- a first import on a fresh database must not be planned blind (ingest.analyze_while_small)
    perform ingest.analyze_while_small('{sales.customers}');
    delete from ingest.stage_customers where batch_id = p_batch_id;
    return jsonb_build_object('customers_written', v_written, 'email_conflicts', jsonb_array_length(v_conflicts),
                              'email_conflict_guids', v_conflicts);
end
$$;

comment on function ingest.apply_customers(bigint, bigint, bigint) is
    'Upsert the staged customers of a batch (unchanged ones skipped; an e-mail held by another customer is not taken over and reported); empties the batch';
