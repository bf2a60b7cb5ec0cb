/*
 * core.shop_set_timezone(p_shop_id, p_timezone): store a shop's time zone as Shoptet reports it
 * (GET /api/eshop data.settings.timezone). A missing (null, blank) or unknown value
 * (core.is_time_zone) stores Europe/Prague instead; the caller compares the result with what
 * it passed and warns. Returns the zone stored. Raises no_data_found (P0002) for an unknown shop.
 */
create or replace function core.shop_set_timezone(p_shop_id bigint, p_timezone text)
returns text
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_zone text := case when coalesce(core.is_time_zone(btrim(p_timezone)), false) then btrim(p_timezone)
                        else 'Europe/Prague' end;
begin
    update core.shops s set timezone = v_zone, updated_at = now()
    where s.shop_id = p_shop_id and s.timezone is distinct from v_zone;
    if not found and not exists (select from core.shops s where s.shop_id = p_shop_id) then
        raise exception 'core.shop_set_timezone: shop % does not exist', p_shop_id using errcode = 'no_data_found';
    end if;
    return v_zone;
end
$$;

comment on function core.shop_set_timezone(bigint, text) is
    'Store a shop''s time zone from Shoptet settings.timezone (unknown or missing: Europe/Prague); returns the zone stored';
