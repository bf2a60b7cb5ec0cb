/*
 * channels.feed_settings_check(p_channel, p_settings): the problems of a feed's rules
 * (channels.feeds.settings, docs/feeds.md#rules) as text[], each naming the key and the value;
 * empty when the rules are good. Unknown keys are problems too (a typo must not be ignored).
 */
create or replace function channels.feed_settings_check(p_channel text, p_settings jsonb)
returns text[]
language sql
immutable
set search_path = pg_catalog
as $$
    with s as (select coalesce(p_settings, '{}') as v),
    problems as (
        select format('settings: expected a JSON object, got %s', jsonb_typeof(s.v)) as problem, 0 as n
        from s where jsonb_typeof(s.v) <> 'object'
        union all
        select format('settings.%s: unknown key (known: exclude, category_map, delivery, default_cpc, '
                      'default_search_cpc, delivery_days, sold_out_days, order_deadline, shipping_days, '
                      'exchange_rate, extra_message, title, description)', k), 1
        from s, jsonb_object_keys(case when jsonb_typeof(s.v) = 'object' then s.v else '{}' end) k
        where k not in ('exclude', 'category_map', 'delivery', 'default_cpc', 'default_search_cpc', 'delivery_days',
                        'sold_out_days', 'order_deadline', 'shipping_days', 'exchange_rate', 'extra_message',
                        'title', 'description')
        union all
        select format('settings.exclude.%s: unknown key (known: flags, categories, products, variants, stock_zero, price_below)', k), 2
        from s, jsonb_object_keys(case when jsonb_typeof(s.v -> 'exclude') = 'object' then s.v -> 'exclude' else '{}' end) k
        where k not in ('flags', 'categories', 'products', 'variants', 'stock_zero', 'price_below')
        union all
        select format('settings.exclude: expected an object, got %s', s.v -> 'exclude'), 2
        from s where s.v ? 'exclude' and jsonb_typeof(s.v -> 'exclude') <> 'object'
        union all
        select format('settings.exclude.%s: expected a list of strings, got %s', k, s.v -> 'exclude' -> k), 3
        from s, unnest(array['flags', 'categories', 'products', 'variants']) k
        where (s.v -> 'exclude') ? k
          and (jsonb_typeof(s.v -> 'exclude' -> k) <> 'array'
               or exists (select from jsonb_array_elements(s.v -> 'exclude' -> k) e where jsonb_typeof(e) <> 'string'))
        union all
        select format('settings.exclude.stock_zero: expected true or false, got %s', s.v #> '{exclude,stock_zero}'), 4
        from s where s.v #> '{exclude,stock_zero}' is not null and jsonb_typeof(s.v #> '{exclude,stock_zero}') <> 'boolean'
        union all
        select format('settings.%s: expected a number >= 0, got %s', k, x), 5
        from s, lateral (values ('exclude.price_below', s.v #> '{exclude,price_below}'),
                                ('default_cpc', s.v -> 'default_cpc'), ('default_search_cpc', s.v -> 'default_search_cpc'),
                                ('sold_out_days', s.v -> 'sold_out_days'), ('shipping_days', s.v -> 'shipping_days'),
                                ('exchange_rate', s.v -> 'exchange_rate')) t (k, x)
        where x is not null and (jsonb_typeof(x) <> 'number' or x::text::numeric < 0
                                 or (k = 'exchange_rate' and x::text::numeric = 0))
        union all
        select format('settings.category_map: expected an object of category (guid, name or path) -> marketplace category text, got %s',
                      s.v -> 'category_map'), 6
        from s where s.v ? 'category_map'
          and (jsonb_typeof(s.v -> 'category_map') <> 'object'
               or exists (select from jsonb_each(s.v -> 'category_map') e where jsonb_typeof(e.value) <> 'string'))
        union all
        select format('settings.delivery_days: expected an object of availability name -> days (a number >= 0), got %s',
                      s.v -> 'delivery_days'), 7
        from s where s.v ? 'delivery_days'
          and (jsonb_typeof(s.v -> 'delivery_days') <> 'object'
               or exists (select from jsonb_each(s.v -> 'delivery_days') e
                          where jsonb_typeof(e.value) <> 'number' or e.value::text::numeric < 0))
        union all
        select format('settings.delivery[%s]: expected {"id": carrier id from the marketplace''s list, "price": number >= 0, '
                      '"price_cod": number >= 0 (optional)}, got %s', n, d), 8
        from s, jsonb_array_elements(case when jsonb_typeof(s.v -> 'delivery') = 'array' then s.v -> 'delivery' else '[]' end)
                with ordinality as e (d, n)
        where jsonb_typeof(d) <> 'object' or coalesce(d ->> 'id', '') !~ '^[A-Z0-9_]{2,40}$'
           or jsonb_typeof(d -> 'price') is distinct from 'number' or (d ->> 'price')::numeric < 0
           or (d ? 'price_cod' and (jsonb_typeof(d -> 'price_cod') <> 'number' or (d ->> 'price_cod')::numeric < 0))
           or exists (select from jsonb_object_keys(d) k where k not in ('id', 'price', 'price_cod'))
        union all
        select format('settings.delivery: expected a list, got %s', s.v -> 'delivery'), 8
        from s where s.v ? 'delivery' and jsonb_typeof(s.v -> 'delivery') <> 'array'
        union all
        select format('settings.order_deadline: expected "HH:MM", got %s', s.v -> 'order_deadline'), 9
        from s where s.v ? 'order_deadline' and coalesce(s.v ->> 'order_deadline', '') !~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
        union all
        select format('settings.extra_message: %s is not one of Zbozi.cz''s EXTRA_MESSAGE values', e), 10
        from s, jsonb_array_elements_text(case when jsonb_typeof(s.v -> 'extra_message') = 'array' then s.v -> 'extra_message' else '[]' end) e
        where e not in ('free_gift', 'extended_warranty', 'voucher', 'free_accessories', 'free_case', 'free_installation',
                        'extended_return', 'free_return', 'premium_installation', 'appliance_pickup', 'authorized_service',
                        'split_payment', 'pay_later', 'gift_package', 'custom')
        union all
        select format('settings.extra_message: only Zbozi.cz feeds have it (channel %s)', p_channel), 10
        from s where s.v ? 'extra_message' and p_channel <> 'zbozi'
        union all
        select format('settings.%s: expected a string, got %s', k, s.v -> k), 11
        from s, unnest(array['title', 'description']) k
        where s.v ? k and jsonb_typeof(s.v -> k) <> 'string'
    )
    select coalesce(array_agg(problem order by n, problem), '{}') from problems;
$$;

comment on function channels.feed_settings_check(text, jsonb) is
    'Problems of a feed''s rules (text[], each naming the key and value; empty when good): unknown keys, wrong types, '
    'delivery blocks, order_deadline HH:MM, Zbozi.cz EXTRA_MESSAGE codes';
