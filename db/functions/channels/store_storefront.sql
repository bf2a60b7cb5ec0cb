/*
 * channels.store_storefront(p_shop_id, p_eshop): keep what feeds need of a GET /api/eshop answer
 * (`data`, shoptet-api.md 4.5; with include=imageCuts): contactInformation.url, settings.eshopLanguage,
 * the default currency (currencies[isDefault]), every currency's exchangeRate, and the urlPath of the
 * image cut `big` (Shoptet OpenAPI "Product images": file names are appended to it). Missing parts
 * are stored as null (an earlier value is kept) and never raise.
 */
create or replace function channels.store_storefront(p_shop_id bigint, p_eshop jsonb)
returns void
language sql
set search_path = pg_catalog
as $$
    insert into channels.shop_storefronts as s (shop_id, web_url, language, currency, currencies, image_base_url)
    select p_shop_id,
           nullif(p_eshop #>> '{contactInformation,url}', ''),
           nullif(p_eshop #>> '{settings,eshopLanguage}', ''),
           (select c ->> 'code' from jsonb_array_elements(
                case when jsonb_typeof(p_eshop -> 'currencies') = 'array' then p_eshop -> 'currencies' else '[]' end) c
            where jsonb_typeof(c) = 'object' and (c ->> 'isDefault')::boolean is true limit 1),
           coalesce((select jsonb_object_agg(c ->> 'code', c ->> 'exchangeRate') from jsonb_array_elements(
                case when jsonb_typeof(p_eshop -> 'currencies') = 'array' then p_eshop -> 'currencies' else '[]' end) c
            where jsonb_typeof(c) = 'object' and c ->> 'code' is not null and c ->> 'exchangeRate' ~ '^[0-9]+(\.[0-9]+)?$'),
                    '{}'),
           (select k ->> 'urlPath' from jsonb_array_elements(
                case when jsonb_typeof(p_eshop -> 'imageCuts') = 'array' then p_eshop -> 'imageCuts' else '[]' end) k
            where jsonb_typeof(k) = 'object' and k ->> 'name' = 'big' limit 1)
    on conflict (shop_id) do update set
        web_url = coalesce(excluded.web_url, s.web_url),
        language = coalesce(excluded.language, s.language),
        currency = coalesce(excluded.currency, s.currency),
        currencies = case when excluded.currencies = '{}' then s.currencies else excluded.currencies end,
        image_base_url = coalesce(excluded.image_base_url, s.image_base_url),
        synced_at = now();
$$;

comment on function channels.store_storefront(bigint, jsonb) is
    'Keep web address, default language and currency, exchange rates and the image base URL (cut big) of a '
    'GET /api/eshop?include=imageCuts answer in channels.shop_storefronts; missing parts keep the earlier value';
