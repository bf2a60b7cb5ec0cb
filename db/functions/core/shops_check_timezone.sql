/*
 * core.shops_check_timezone(): trigger on core.shops that refuses a time zone PostgreSQL does
 * not know (core.is_time_zone), naming the shop and the value; raises check_violation (23514).
 * (A CHECK constraint cannot read pg_timezone_names.)
 */
create or replace function core.shops_check_timezone()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
begin
    -- the default and an unchanged value need no look-up (pg_timezone_names reads the zone files: ~30 ms)
    if new.timezone = 'Europe/Prague' or (tg_op = 'UPDATE' and new.timezone = old.timezone) then
        return new;
    end if;
    if not core.is_time_zone(new.timezone) then
        raise exception 'core.shops.timezone of shop %: % is not a time zone name PostgreSQL knows', new.shop_id,
                quote_literal(new.timezone)
            using errcode = 'check_violation',
                  hint = 'use a name from pg_timezone_names, e.g. Europe/Prague, Europe/Bratislava, Europe/Budapest, Europe/Bucharest';
    end if;
    return new;
end
$$;

comment on function core.shops_check_timezone() is
    'Trigger: refuse a core.shops.timezone that is not in pg_timezone_names';

create or replace trigger shops_check_timezone
    before insert or update of timezone on core.shops
    for each row execute function core.shops_check_timezone();
