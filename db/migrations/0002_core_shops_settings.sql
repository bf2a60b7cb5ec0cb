-- core.shops, core.settings (typed values, encrypted secrets, change notification)
-- and ops.sql_files (which function files are loaded, for `hub db migrate`).

create table core.shops (
    shop_id        bigint primary key,
    name           text not null,
    is_master      boolean not null default false,
    master_shop_id bigint references core.shops (shop_id),
    status         text not null default 'active',
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    constraint shops_status_known check (status in ('active', 'disabled', 'uninstalled')),
    constraint shops_master_not_self check (master_shop_id is distinct from shop_id),
    constraint shops_master_has_no_master check (not (is_master and master_shop_id is not null))
);
create unique index shops_single_master on core.shops ((true)) where is_master;

comment on table core.shops is 'One row per Shoptet e-shop connected to the hub';
comment on column core.shops.shop_id is 'Shoptet eshopId';
comment on column core.shops.is_master is 'The master shop owns the catalogue and translations; at most one';
comment on column core.shops.master_shop_id is 'For a non-master shop: the master whose catalogue it overlays';
comment on column core.shops.status is 'active; disabled (sync paused); uninstalled (addon removed, data kept)';

create table core.settings (
    setting_id      bigint generated always as identity primary key,
    shop_id         bigint references core.shops (shop_id) on delete cascade,
    key             text not null,
    value_type      text not null,
    value           jsonb,
    secret          bytea,
    key_fingerprint text,
    is_secret       boolean generated always as (secret is not null) stored,
    updated_at      timestamptz not null default now(),
    updated_by      text not null default current_user,
    constraint settings_key_format check (key ~ '^[a-z][a-z0-9_.:-]*$' and length(key) <= 200),
    constraint settings_value_type_known check (value_type in ('text', 'integer', 'boolean', 'json')),
    constraint settings_value_or_secret check ((value is null) <> (secret is null)),
    constraint settings_secret_has_fingerprint check ((secret is null) = (key_fingerprint is null)),
    constraint settings_value_matches_type check (
        value is null or case value_type
            when 'text' then jsonb_typeof(value) = 'string'
            when 'integer' then jsonb_typeof(value) = 'number' and value::numeric = trunc(value::numeric)
            when 'boolean' then jsonb_typeof(value) = 'boolean'
            else true
        end),
    constraint settings_shop_key_unique unique nulls not distinct (shop_id, key)
);

comment on table core.settings is
    'Typed settings, global (shop_id null) or per shop; a shop''s own value overrides the global one. '
    'Change with core.setting_set / core.setting_set_secret / core.setting_delete; every change NOTIFYs channel hub_settings.';
comment on column core.settings.shop_id is 'null: a global setting; else the shop it belongs to';
comment on column core.settings.value_type is 'text, integer, boolean or json: what value holds (a secret is always text)';
comment on column core.settings.value is 'The value as JSON (a string, integer, boolean or any JSON); null for a secret';
comment on column core.settings.secret is 'For a secret: pgp_sym_encrypt of the value with HUB_SECRET_KEY; never plaintext';
comment on column core.settings.key_fingerprint is 'First 16 hex digits of sha256(HUB_SECRET_KEY) that encrypted secret: tells a wrong key from corrupt data';
comment on column core.settings.updated_by is 'Database role that made the last change';

create table ops.sql_files (
    path      text primary key,
    sha256    text not null,
    loaded_at timestamptz not null
);
comment on table ops.sql_files is 'Files of db/functions/ as last loaded by `hub db migrate`, with their hashes';
