/*
 * core.api_slot_release(p_key, p_slot): give back a request slot this session took with
 * core.api_slot_take. Returns false when the session did not hold it.
 */
create or replace function core.api_slot_release(p_key text, p_slot integer)
returns boolean
language sql
volatile
set search_path = pg_catalog
as $$
    select pg_advisory_unlock(hashtextextended('hub.api_slot:' || p_key || ':' || p_slot, 0))
$$;

comment on function core.api_slot_release(text, integer) is
    'Release a request slot of a Shoptet token key taken by core.api_slot_take in this session';
