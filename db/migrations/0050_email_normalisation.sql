-- One e-mail normalisation (issue 11 item 1): core.normalize_email(text), and every stored,
-- indexed, compared or grouped e-mail goes through it.
--
-- Stored e-mails (sales.customers.email, sales.orders.email) hold the NORMALISED value from now
-- on: the import normalises them (runner/shoptet/normalize.py, the Python twin of the function),
-- and this migration normalises what is stored. The value as sent differs only in case and
-- surrounding white space; a customer's accounts jsonb keeps it verbatim.
--
-- The function is created here because the indexes below need it before db/functions/ is
-- loaded; db/functions/core/normalize_email.sql holds the same definition (a test keeps the two
-- equal). Changing what it returns needs a new migration that rebuilds these indexes.

create or replace function core.normalize_email(p_email text)
returns text
language sql
immutable
parallel safe
return nullif(
    pg_catalog.lower(pg_catalog.btrim(p_email, U&'\0009\000A\000B\000C\000D\001C\001D\001E\001F\0020\0085\00A0\1680\180E\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\200B\200C\200D\2028\2029\202F\205F\2060\3000\FEFF') collate "und-x-icu"),
    '');

comment on function core.normalize_email(text) is
    'The one e-mail normalisation: lower-case (ICU root), leading/trailing white space and invisible characters (incl. U+00A0, U+2000-200D, U+3000, U+FEFF) removed, empty -> null';

-- customers: two live customers of a shop whose e-mails become equal only now (e.g. one had a
-- trailing no-break space) cannot both keep it: the most recently changed one does, the others
-- are stored without e-mail (as ingest.apply_customers does with a conflicting e-mail)
drop index sales.customers_shop_email;

with ranked as (
    select c.shop_id, c.guid,
           row_number() over (partition by c.shop_id, core.normalize_email(c.email)
                              order by c.changed_at desc nulls last, c.guid) as email_rank
    from sales.customers c
    where c.deleted_at is null and core.normalize_email(c.email) is not null
)
update sales.customers c set email = null, synced_at = now()
from ranked r
where r.email_rank > 1 and c.shop_id = r.shop_id and c.guid = r.guid;

update sales.customers set email = core.normalize_email(email)
where email is distinct from core.normalize_email(email);

-- one account per e-mail in a shop (sales.customer_by_email, ingest.apply_customers)
create unique index customers_shop_email on sales.customers (shop_id, core.normalize_email(email))
    where email is not null and deleted_at is null;

-- orders: the e-mail history index on the same expression (sales.email_orders_page)
drop index sales.orders_email_history;

update sales.orders set email = core.normalize_email(email)
where email is distinct from core.normalize_email(email);

create index orders_email_history on sales.orders (shop_id, core.normalize_email(email), created_at desc, code desc)
    where email is not null;

-- analytics.customer_metrics: keys are core.normalize_email of the orders' e-mails. Rows keyed by
-- an older normalisation (e.g. a leading tab) are dropped; analytics.refresh_customer_metrics
-- (daily, or on demand) writes them again under the normalised key.
alter table analytics.customer_metrics drop constraint customer_metrics_key_normalised;
delete from analytics.customer_metrics where customer_key is distinct from core.normalize_email(customer_key);
alter table analytics.customer_metrics add constraint customer_metrics_key_normalised
    check (customer_key is not distinct from core.normalize_email(customer_key));

comment on column sales.customers.email is
    'E-mail of the main account (accounts[].mainAccount), normalised by core.normalize_email (lower-case, no surrounding white space; null when empty); unique per shop among live customers. Shoptet has no top-level customer e-mail';
comment on column sales.orders.email is
    'E-mail given with the order, normalised by core.normalize_email (guest orders have one but no customer_guid)';
comment on column analytics.customer_metrics.customer_key is
    'core.normalize_email(e-mail) of the orders: the same person across guest and account orders, and across shops';
