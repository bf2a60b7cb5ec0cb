/*
 * core.settings_notify(): trigger that announces every settings change on channel
 * hub_settings, so that every process drops its cached copy at once.
 * Payload: {"shop_id": <bigint|null>, "key": "<key>"}; delivered at commit.
 */
create or replace function core.settings_notify()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_row core.settings;
begin
    if tg_op = 'DELETE' then
        v_row := old;
    else
        v_row := new;
    end if;
    perform pg_notify('hub_settings', json_build_object('shop_id', v_row.shop_id, 'key', v_row.key)::text);
    -- a key renamed or moved between shops: the old identity changed too
    if tg_op = 'UPDATE' and (old.key, old.shop_id) is distinct from (new.key, new.shop_id) then
        perform pg_notify('hub_settings', json_build_object('shop_id', old.shop_id, 'key', old.key)::text);
    end if;
    return null;
end
$$;

comment on function core.settings_notify() is
    'Trigger: NOTIFY hub_settings with {"shop_id", "key"} of the changed setting, so caches drop it';

create or replace trigger settings_notify
    after insert or update or delete on core.settings
    for each row execute function core.settings_notify();
