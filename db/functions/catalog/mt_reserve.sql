/*
 * catalog.mt_reserve(p_provider, p_shop_id, p_characters, p_budget): count a machine-translation
 * request of p_characters source characters against the provider's monthly budget for the shop
 * (calendar month, UTC) in catalog.mt_usage, before the request is sent. p_budget null: no
 * budget. Raises 53400 (configuration_limit_exceeded) naming provider, shop, month, used,
 * asked and budget when the request would pass it -- nothing is counted then. Returns the month's
 * characters after the request. Concurrent callers serialise on the month's row.
 */
create or replace function catalog.mt_reserve(p_provider text, p_shop_id bigint, p_characters bigint, p_budget bigint)
returns bigint
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_month date := date_trunc('month', now() at time zone 'UTC')::date;
    v_used bigint;
begin
    insert into catalog.mt_usage (provider, shop_id, month) values (p_provider, p_shop_id, v_month)
    on conflict do nothing;
    select u.characters into v_used from catalog.mt_usage u
    where u.provider = p_provider and u.shop_id = p_shop_id and u.month = v_month
    for update;
    if p_budget is not null and v_used + p_characters > p_budget then
        raise exception 'machine translation budget spent: provider % for shop % in % has used % of % characters; '
            'this request needs % more (raise translations.mt.%.monthly_characters or wait for next month)',
            p_provider, p_shop_id, to_char(v_month, 'YYYY-MM'), v_used, p_budget, p_characters, p_provider
            using errcode = '53400';
    end if;
    update catalog.mt_usage u
    set characters = u.characters + p_characters, requests = u.requests + 1, updated_at = now()
    where u.provider = p_provider and u.shop_id = p_shop_id and u.month = v_month
    returning u.characters into v_used;
    return v_used;
end
$$;

comment on function catalog.mt_reserve(text, bigint, bigint, bigint) is
    'Count a machine-translation request (characters) against a provider''s monthly budget per shop (catalog.mt_usage); '
    'raises 53400 naming the figures when it would pass the budget (nothing counted); returns the month''s total';
