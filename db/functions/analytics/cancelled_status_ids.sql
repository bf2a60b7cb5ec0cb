/*
 * analytics.cancelled_status_ids(p_shop_id): the order status ids that mean "cancelled" for one
 * shop, as integer[]. Source: the setting analytics.cancelled_status_ids (the shop's own value,
 * else the global one; a JSON array of integers); default {-4}, Shoptet's system status
 * "Stornována" (system statuses have negative ids, docs/shoptet-api.md). Orders in these
 * statuses count nowhere in the analytics (customer metrics, variant demand, recommendations).
 * Raises 22023 (invalid_parameter_value) naming the shop and the value when the setting is not
 * an array of integers, so a typo is found, not silently treated as "nothing is cancelled".
 */
create or replace function analytics.cancelled_status_ids(p_shop_id bigint)
returns integer[]
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_value jsonb := core.setting_get('analytics.cancelled_status_ids', p_shop_id);
begin
    if v_value is null then
        return array[-4];
    end if;
    if jsonb_typeof(v_value) <> 'array' or exists (
        select 1 from jsonb_array_elements(v_value) e
        where jsonb_typeof(e) <> 'number' or e::numeric <> trunc(e::numeric)
    ) then
        raise exception 'setting analytics.cancelled_status_ids of shop % must be a JSON array of status ids (integers), e.g. [-4, 7]; it is %',
            p_shop_id, v_value
            using errcode = '22023';
    end if;
    return array(select e::integer from jsonb_array_elements(v_value) e);
end
$$;

comment on function analytics.cancelled_status_ids(bigint) is
    'Status ids that mean cancelled for a shop (integer[]): setting analytics.cancelled_status_ids (JSON array), default {-4} = Shoptet system status Stornována; raises 22023 on a value that is not an array of integers';
