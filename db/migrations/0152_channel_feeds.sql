-- Marketplace feeds (issue 17): one row per feed a merchant defined (`hub feed add`), with the
-- rules as jsonb (validated by channels.feed_settings_check) and the state of its last build.
-- channels.shop_storefronts keeps what GET /api/eshop says that feeds need (web address, default
-- language and currency, exchange rates, image base URL).

create table channels.shop_storefronts (
    shop_id          bigint primary key references core.shops (shop_id),
    web_url          text,
    language         text,
    currency         text,
    currencies       jsonb not null default '{}',
    image_base_url   text,
    synced_at        timestamptz not null default now()
);

comment on table channels.shop_storefronts is
    'What GET /api/eshop?include=imageCuts says that feeds need, one row per shop (written by hub shop add / refresh)';
comment on column channels.shop_storefronts.web_url is 'contactInformation.url: the e-shop''s address (with a trailing slash)';
comment on column channels.shop_storefronts.language is 'settings.eshopLanguage: the default language (cs, sk, ...)';
comment on column channels.shop_storefronts.currency is 'currencies[isDefault].code: the default currency';
comment on column channels.shop_storefronts.currencies is
    'JSON object currency code -> exchangeRate as text (units of the default currency per 1 unit; "25.00000000" for EUR in a CZK shop)';
comment on column channels.shop_storefronts.image_base_url is
    'imageCuts[name=big].urlPath: image file names are appended to it (null: web_url || ''user/shop/big/'', Shoptet''s layout)';

create table channels.feeds (
    feed_id        bigint generated always as identity primary key,
    shop_id        bigint not null references core.shops (shop_id),
    channel        text not null,
    language       text not null,
    currency       text not null,
    settings       jsonb not null default '{}',
    token          text not null unique default encode(gen_random_bytes(18), 'hex'),
    created_at     timestamptz not null default now(),
    built_at       timestamptz,
    etag           text,
    size_bytes     bigint,
    items          integer,
    excluded_items integer,
    invalid_items  integer,
    build_seconds  numeric(10,3),
    problems       jsonb not null default '[]',
    last_error     text,
    last_failed_at timestamptz,
    constraint feeds_channel_known check (channel in ('heureka', 'heureka-availability', 'zbozi', 'google')),
    constraint feeds_currency_code check (currency ~ '^[A-Z]{3}$'),
    constraint feeds_settings_object check (jsonb_typeof(settings) = 'object'),
    constraint feeds_one_per_kind unique (shop_id, channel, language, currency)
);

create index feeds_shop on channels.feeds (shop_id, channel);

comment on table channels.feeds is
    'Marketplace feeds a merchant defined (hub feed add): channel, language, currency, rules; and the state of the '
    'file last published at /feeds/<token>/<channel>.xml';
comment on column channels.feeds.channel is 'heureka (offers), heureka-availability, zbozi or google';
comment on column channels.feeds.language is 'Language of the texts (the shop''s default language: the catalogue holds it)';
comment on column channels.feeds.currency is 'Currency of the prices; another than the variant''s is converted with the shop''s exchange rate';
comment on column channels.feeds.settings is
    'Rules as a JSON object (docs/feeds.md#rules): exclude {flags, categories, stock_zero, price_below, products, variants}, '
    'category_map {shop category path or guid: marketplace category text}, delivery [{id, price, price_cod}], '
    'default_cpc, default_search_cpc, delivery_days {availability name: days}, sold_out_days, '
    'order_deadline "HH:MM", shipping_days, exchange_rate; checked by channels.feed_settings_check';
comment on column channels.feeds.token is 'Unguessable part of the feed''s public URL (144 random bits, hex); no login';
comment on column channels.feeds.built_at is 'When the published file was built: its Last-Modified';
comment on column channels.feeds.etag is 'ETag of the published file: SHA-256 of its bytes (hex, quoted)';
comment on column channels.feeds.items is 'Items in the published file';
comment on column channels.feeds.excluded_items is 'Items left out by the rules and marketplace flags at the last build';
comment on column channels.feeds.invalid_items is 'Items left out as invalid at the last build (listed in problems)';
comment on column channels.feeds.problems is
    'JSON array of {item_id, problem} of the last build (first 1000), and feed-level problems with item_id null';
comment on column channels.feeds.last_error is 'Why the last build was not published (null after a published build)';
comment on column channels.feeds.last_failed_at is 'When the last build failed';
