-- `hub bench feeds`: a scratch shop's catalogue at production shape, made in SQL.
-- Parameters: shop_id, variants. Products have 1 (55 per cent), 3 (30 per cent) or 5 (15 per cent) variants
-- (2.2 on average, the seeds' 13 k variants in about 6 k products), 1-4 images, a two-level
-- category tree (10 x 10), two descriptive parameters, variant parameters, an EAN on 70 per cent,
-- stock 0 on 10 per cent, the marketplace flags on 2 per cent, an HTML description with an ampersand.

insert into core.shops (shop_id, name, status) values (%(shop_id)s, 'feeds bench', 'active')
on conflict (shop_id) do nothing;

select channels.store_storefront(%(shop_id)s, '{"contactInformation": {"url": "https://bench.example.cz/"},
    "settings": {"eshopLanguage": "cs"},
    "currencies": [{"code": "CZK", "isDefault": true, "exchangeRate": "1.00000000"},
                   {"code": "EUR", "isDefault": false, "exchangeRate": "25.00000000"}]}');

delete from channels.feeds where shop_id = %(shop_id)s;
delete from catalog.variants where shop_id = %(shop_id)s;
delete from catalog.products where shop_id = %(shop_id)s;
delete from catalog.categories where shop_id = %(shop_id)s;

insert into catalog.categories (shop_id, guid, name, parent_guid)
select %(shop_id)s, md5('cat' || t)::uuid, 'Kategorie ' || t, null from generate_series(1, 10) t
union all
select %(shop_id)s, md5('cat' || t || '/' || s)::uuid, 'Podkategorie ' || t || '.' || s, md5('cat' || t)::uuid
from generate_series(1, 10) t, generate_series(1, 10) s;

with p as (
    select n, case when n %% 20 < 11 then 1 when n %% 20 < 17 then 3 else 5 end as k
    from generate_series(1, %(variants)s) n
), cum as (
    select n, k, sum(k) over (order by n) - k as before from p
)
insert into catalog.products (shop_id, guid, name, type, visibility, brand_name, default_category_guid,
    default_category_name, url, is_variant, changed_at, xml_feed_name, description, images, categories,
    descriptive_parameters, flags)
select %(shop_id)s, md5('p' || n)::uuid, 'Produkt ' || n || ' ' || (array['modrý', 'velký', 'lehký', 'pevný'])[1 + n %% 4],
       'product', 'visible', 'Značka ' || (n %% 50), md5('cat' || (1 + n %% 10) || '/' || (1 + n / 10 %% 10))::uuid,
       'Podkategorie ' || (1 + n %% 10) || '.' || (1 + n / 10 %% 10),
       'https://bench.example.cz/produkt-' || n || '/', k > 1, now(), null,
       '<p>Produkt ' || n || ' &amp; příslušenství. <b>Kvalitní</b> zboží, které vydrží.</p><ul><li>rozměr 10 x 20 cm</li></ul>',
       (select jsonb_agg(n || '_' || i || '.jpg') from generate_series(1, 1 + n %% 4) i),
       jsonb_build_array(jsonb_build_object('guid', md5('cat' || (1 + n %% 10) || '/' || (1 + n / 10 %% 10)), 'name', 'x')),
       jsonb_build_array(jsonb_build_object('name', 'Materiál', 'value', 'bavlna'),
                         jsonb_build_object('name', 'Hmotnost', 'value', (n %% 900) || ' g')),
       '[]'
from cum where before < %(variants)s;

with p as (
    select n, case when n %% 20 < 11 then 1 when n %% 20 < 17 then 3 else 5 end as k
    from generate_series(1, %(variants)s) n
), cum as (
    select n, k, sum(k) over (order by n) - k as before from p
)
insert into catalog.variants (shop_id, code, product_guid, ean, name, stock, price, currency, vat_rate, including_vat,
    visible, parameters, heureka_cpc, heureka_feed_excluded, zbozi_hidden, availability_when_sold_out)
select %(shop_id)s, 'B' || n || '-' || v, md5('p' || n)::uuid,
       case when (n + v) %% 10 < 7 then lpad(((n * 7 + v) %% 1000000000000)::text, 13, '8') end,
       case when k > 1 then 'Barva: ' || (array['Červená', 'Modrá', 'Zelená', 'Černá', 'Bílá'])[v] end,
       case when (n + v) %% 10 = 0 then 0 else (n + v) %% 40 end,
       99 + (n %% 300) * 10 + v, 'CZK', 21, true, true,
       case when k > 1 then jsonb_build_array(jsonb_build_object('name', 'Barva',
            'value', (array['Červená', 'Modrá', 'Zelená', 'Černá', 'Bílá'])[v])) else '[]' end,
       case when n %% 7 = 0 then 1.5 end, n %% 50 = 0, n %% 50 = 1, 'Do 14 dnů'
from cum, generate_series(1, cum.k) v
where cum.before + v <= %(variants)s;
