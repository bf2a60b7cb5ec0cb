/*
 * core.api_slot_take(p_key, p_held, p_slots): take one free request slot of a Shoptet token
 * for this session, for runner/shoptet/slots.py. Slot n of key k is the session-level advisory
 * lock hashtextextended('hub.api_slot:' || k || ':' || n, 0); slots 0 .. p_slots - 1 not in
 * p_held (those this session holds already: advisory locks are re-entrant within a session)
 * are tried in order with pg_try_advisory_lock. Returns the slot taken, or null when every slot
 * is held by another session (the caller waits and asks again). The lock lives until
 * core.api_slot_release or the end of the session (a dead process frees its slots).
 * p_key is Credentials.key ('private:<shop_id>', 'addon:<shop_id>'), never a token.
 * Source of the limit: Shoptet allows 3 concurrent connections per token (shoptet-api.md).
 */
create or replace function core.api_slot_take(p_key text, p_held integer[] default '{}', p_slots integer default 3)
returns integer
language plpgsql
volatile
set search_path = pg_catalog
as $$
declare
    v_slot integer;
begin
    for v_slot in 0 .. p_slots - 1 loop
        if not v_slot = any (coalesce(p_held, '{}'))
           and pg_try_advisory_lock(hashtextextended('hub.api_slot:' || p_key || ':' || v_slot, 0)) then
            return v_slot;
        end if;
    end loop;
    return null;
end
$$;

comment on function core.api_slot_take(text, integer[], integer) is
    'Take a free request slot (session advisory lock) of a Shoptet token key for this session; null when all are taken';
