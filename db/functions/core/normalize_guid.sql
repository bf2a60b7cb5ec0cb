/*
 * core.normalize_guid(p_guid): THE GUID normalisation of the hub (architecture.md: one
 * normalisation for GUIDs, used by every path). Shoptet's spec types customerGuid, productGuid,
 * customer, product and variant GUIDs as strings of up to 36 characters; its typeGuid is
 * 8-4-4-4-12 lower-case hex digits. Here: the white space and invisible characters
 * core.normalize_email strips are removed from both ends, the rest lower-cased (ASCII), and a
 * value of the form 8-4-4-4-12 hex digits is returned as uuid. Null, '' or white space only:
 * null. Anything else (e.g. '12345', braces, 32 digits without dashes) is not a GUID: null too.
 * runner/shoptet/normalize.py normalize_guid is its Python twin (tests/test_normalization.py feeds
 * both the same strings); the importer tells "not a GUID" apart and records a warning.
 *
 * Used by ingest.mark_deleted (keys of webhooks, change lists, 404s); the importer normalises
 * every GUID field and key with the Python twin before COPY (so ingest.snapshot_job_finish
 * compares recorded keys as uuids). A SQL-standard body instead of `set search_path`: bound
 * when created, and inlined by the planner (see core.normalize_email).
 */
create or replace function core.normalize_guid(p_guid text)
returns uuid
language sql
immutable
parallel safe
return case
    when pg_catalog.lower(pg_catalog.btrim(p_guid, U&'\0009\000A\000B\000C\000D\001C\001D\001E\001F\0020\0085\00A0\1680\180E\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\200B\200C\200D\2028\2029\202F\205F\2060\3000\FEFF') collate "C")
         ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    then pg_catalog.lower(pg_catalog.btrim(p_guid, U&'\0009\000A\000B\000C\000D\001C\001D\001E\001F\0020\0085\00A0\1680\180E\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\200B\200C\200D\2028\2029\202F\205F\2060\3000\FEFF') collate "C")::uuid
end;

comment on function core.normalize_guid(text) is
    'The one GUID normalisation: trimmed (white space and invisible characters), lower-cased, 8-4-4-4-12 hex -> uuid; empty or not a GUID -> null';
