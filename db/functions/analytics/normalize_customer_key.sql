/*
 * analytics.normalize_customer_key(p_key): a customer key as typed by a person, in the form
 * analytics.customer_key gives it: a GUID (core.normalize_guid: any case, surrounding white
 * space) -> its lower-case text; anything else -> core.normalize_email (so ' Jan@Example.CZ '
 * finds jan@example.cz); null or blank -> null. SQL-standard body, inlinable (see
 * core.normalize_email).
 */
create or replace function analytics.normalize_customer_key(p_key text)
returns text
language sql
immutable
parallel safe
return coalesce(pg_catalog.text(core.normalize_guid(p_key)), core.normalize_email(p_key));

comment on function analytics.normalize_customer_key(text) is
    'A typed customer key normalised: a GUID -> lower-case GUID text (core.normalize_guid), else core.normalize_email; blank -> null';
