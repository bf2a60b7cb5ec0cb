/*
 * analytics.inventory_settings(p_shop_id): the inventory-planning parameters of a shop, each the
 * shop's setting, else the global one, else the built-in default:
 *   service_level     inventory.service_level, probability of no stock-out during a lead time,
 *                     default 0.95; z = analytics.normal_quantile(service_level) (0.95 -> 1.6449)
 *   lead_time_days    inventory.lead_time_days, days; for variants whose product has no supplier
 *                     or whose supplier has no lead_time_days; no default (null)
 *   ordering_cost     inventory.ordering_cost, EOQ's S per purchase order in the shop's default
 *                     currency, for suppliers without ordering_cost; no default (null)
 *   holding_cost_rate inventory.holding_cost_rate, EOQ's H as a share of the unit purchase price
 *                     per year, for suppliers without one; default 0.25 (the 20-30 % a year that
 *                     inventory textbooks give for capital, storage and obsolescence, e.g.
 *                     Silver, Pyke & Thomas, Inventory and Production Management, 2017)
 * Raises 22023 naming the setting, the shop and the value when one is not a number or out of
 * range (service level from 0.5 up to, not including, 1, lead time 0-365 whole days, costs > 0).
 */
create or replace function analytics.inventory_settings(
    p_shop_id bigint,
    out service_level numeric,
    out z double precision,
    out lead_time_days integer,
    out ordering_cost numeric,
    out holding_cost_rate numeric
)
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_lead numeric := core.setting_number('inventory.lead_time_days', p_shop_id);
begin
    service_level := coalesce(core.setting_number('inventory.service_level', p_shop_id), 0.95);
    if not (service_level >= 0.5 and service_level < 1) then
        raise exception 'setting inventory.service_level of shop % must be a probability from 0.5 up to (not including) 1, e.g. 0.95; it is %',
            p_shop_id, service_level
            using errcode = '22023';
    end if;
    z := analytics.normal_quantile(service_level::double precision);
    if v_lead is not null and not (v_lead between 0 and 365 and v_lead = trunc(v_lead)) then
        raise exception 'setting inventory.lead_time_days of shop % must be whole days between 0 and 365; it is %',
            p_shop_id, v_lead
            using errcode = '22023';
    end if;
    lead_time_days := v_lead::integer;
    ordering_cost := core.setting_number('inventory.ordering_cost', p_shop_id);
    if ordering_cost is not null and ordering_cost <= 0 then
        raise exception 'setting inventory.ordering_cost of shop % must be a positive amount per purchase order; it is %',
            p_shop_id, ordering_cost
            using errcode = '22023';
    end if;
    holding_cost_rate := coalesce(core.setting_number('inventory.holding_cost_rate', p_shop_id), 0.25);
    if not (holding_cost_rate > 0 and holding_cost_rate <= 10) then
        raise exception 'setting inventory.holding_cost_rate of shop % must be a yearly share of the purchase price above 0 (0.25 = 25 %%); it is %',
            p_shop_id, holding_cost_rate
            using errcode = '22023';
    end if;
end
$$;

comment on function analytics.inventory_settings(bigint) is
    'Inventory-planning parameters of a shop: service_level (default 0.95) and its z, default lead_time_days, ordering_cost (S), holding_cost_rate (H share per year, default 0.25); raises 22023 naming a bad setting';
