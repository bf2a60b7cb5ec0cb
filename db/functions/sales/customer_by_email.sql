/*
 * sales.customer_by_email: the customer account of a shop with this e-mail (main account),
 * matched by core.normalize_email (case, surrounding white space incl. no-break and other
 * Unicode spaces); deleted customers are left out.
 */
create or replace function sales.customer_by_email(p_shop_id bigint, p_email text)
returns setof sales.customers
language sql
stable
set search_path = pg_catalog
as $$
    select c.*
    from sales.customers c
    where c.shop_id = p_shop_id
      and core.normalize_email(c.email) = core.normalize_email(p_email)
      and c.email is not null
      and c.deleted_at is null
$$;

comment on function sales.customer_by_email(bigint, text) is
    'The shop''s customer with this e-mail, matched by core.normalize_email (index customers_shop_email)';
