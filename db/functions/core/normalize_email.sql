/*
 * core.normalize_email(p_email): THE e-mail normalisation of the hub (architecture.md: one
 * normalisation for e-mails, used by every path). Lower-case (Unicode full case mapping, the
 * ICU root locale "und-x-icu", so the result does not depend on the database's locale), with
 * every leading and trailing white-space or invisible character removed: tab, LF, VT, FF, CR,
 * U+001C-001F, space, U+0085, no-break space U+00A0, U+1680, U+180E, U+2000-200D (the Unicode
 * spaces and zero-width space / joiners), U+2028, U+2029, U+202F, U+205F, U+2060, U+3000 and the
 * byte order mark U+FEFF; '' (also after stripping) and null give null.
 * runner/shoptet/normalize.py normalize_email is its Python twin (same characters, same result;
 * tests/test_normalization.py feeds both the same strings).
 *
 * Used by: the stored e-mails (ingest writes the normalised value), the unique index
 * sales.customers_shop_email, the index sales.orders_email_history, sales.customer_by_email,
 * sales.email_orders_page, ingest.apply_customers (e-mail conflicts),
 * analytics.refresh_customer_metrics (customer key) and the check on analytics.customer_metrics.
 *
 * Indexes and a check constraint store its results: a change of what it returns for any input
 * needs a migration that re-creates it and rebuilds customers_shop_email / orders_email_history
 * (0050_email_normalisation.sql made it; tests/test_normalization.py checks this file still equals
 * the newest migration's definition). A SQL-standard body instead of `set search_path`: the body
 * is bound when created (no search_path can change it) and the planner inlines it (a `set`
 * clause would forbid that and make it ~3x slower per row); the index matches the inlined form.
 */
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
