-- Translations (issue 19): the master shop's product texts carried to every language and shop
-- through draft -> review -> approved -> synced, with per-shop overlays, a translation memory and
-- machine-translation cost control. The workflow lives here; the runner only moves texts between
-- Shoptet, translators' XLIFF files and these tables (runner/translations/).

-- the languages each shop has (GET /api/eshop languages[], else settings.eshopLanguage alone)
create table catalog.shop_languages (
    shop_id     bigint not null references core.shops (shop_id) on delete cascade,
    language    text not null,
    is_default  boolean not null default false,
    is_visible  boolean not null default true,
    priority    integer,
    synced_at   timestamptz not null default now(),
    primary key (shop_id, language),
    constraint shop_languages_code check (language ~ '^[a-z]{2}([-_][A-Za-z]{2,4})?$')
);
create unique index shop_languages_one_default on catalog.shop_languages (shop_id) where is_default;

comment on table catalog.shop_languages is
    'Languages of each shop as GET /api/eshop lists them (languages[] with the Foreign languages module, '
    'else settings.eshopLanguage as the only one); refreshed by `hub shop refresh` and every translation sync';
comment on column catalog.shop_languages.language is 'Shoptet language code (languages[].code), e.g. cs, sk, en';
comment on column catalog.shop_languages.is_default is 'languages[].isDefault: the language texts are read in without ?language=';
comment on column catalog.shop_languages.is_visible is 'languages[].isVisible: selectable in the shop front end';

-- the text fields a translation may carry, with Shoptet's length limits (productUpdate schema)
create table catalog.text_fields (
    field      text primary key,
    max_length integer,
    is_html    boolean not null default false,
    writable   boolean not null default true
);
insert into catalog.text_fields (field, max_length, is_html, writable) values
    ('name', 250, false, true),
    ('shortDescription', null, true, true),
    ('description', null, true, true),
    ('metaTitle', 255, false, true),
    ('metaDescription', null, false, true),
    ('additionalName', 150, false, true),
    ('xmlFeedName', null, false, false);

comment on table catalog.text_fields is
    'Product text fields of the Shoptet API that translations carry, with their limits from the official '
    'OpenAPI spec (productUpdate: name <= 250, metaTitle <= 255, additionalName <= 150 characters)';
comment on column catalog.text_fields.max_length is 'Maximum length in characters (null: no documented limit)';
comment on column catalog.text_fields.is_html is 'The value is HTML (tags are kept as they are through memory, XLIFF and sync)';
comment on column catalog.text_fields.writable is
    'PATCH /api/products/{guid} accepts the field (xmlFeedName is read-only in productUpdate: imported, never pushed)';

-- the hash of every text (db/functions/catalog/text_hash.sql re-applies it; made here for the
-- generated column below). convert_to is only stable, so the function is declared immutable: the
-- database encoding never changes under a column.
create or replace function catalog.text_hash(p_text text)
returns bytea
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    select sha256(convert_to(coalesce(p_text, ''), 'UTF8'))
$$;

-- what each shop has per language, imported with the catalogue
create table catalog.product_texts (
    shop_id      bigint not null,
    product_guid uuid not null,
    language     text not null,
    field        text not null,
    value        text,
    source_hash  bytea generated always as (catalog.text_hash(value)) stored,
    changed_at   timestamptz not null default now(),
    primary key (shop_id, product_guid, language, field),
    foreign key (shop_id, product_guid) references catalog.products (shop_id, guid) on delete cascade,
    constraint product_texts_field check (field in ('name', 'shortDescription', 'description', 'metaTitle', 'metaDescription', 'additionalName', 'xmlFeedName'))
);

comment on table catalog.product_texts is
    'Product texts each shop has, per language and field, as Shoptet serves them (snapshot, sync and webhook '
    'detail in the shop''s default language; other languages read with ?language=). A change of the master''s '
    'default-language text makes the translations made from the old text stale (trigger product_texts_stale_*)';
comment on column catalog.product_texts.field is 'Shoptet field name: name, shortDescription, description, metaTitle, metaDescription, additionalName, xmlFeedName';
comment on column catalog.product_texts.value is 'The text as Shoptet serves it (HTML kept); null when the field is empty';
comment on column catalog.product_texts.source_hash is 'catalog.text_hash(value): SHA-256 of the UTF-8 text (empty for null), what translations record as made from';
comment on column catalog.product_texts.changed_at is 'When the hub last wrote a different value';

-- the workflow
create table catalog.translation_statuses (
    status      text primary key,
    description text not null
);
insert into catalog.translation_statuses values
    ('draft', 'being written (by hand, from the translation memory or by machine translation)'),
    ('review', 'waiting for a reviewer'),
    ('approved', 'accepted; waiting to be pushed to the shops'),
    ('synced', 'pushed to every target shop'),
    ('stale', 'the master''s source text changed after the translation was made; the text is kept'),
    ('failed', 'a push was refused; the error is kept and the next sync retries');
comment on table catalog.translation_statuses is 'States of a translation (catalog.translations.status)';

-- (checks, not foreign keys: keys between catalog tables carry shop_id, tests/test_scaling.py)
create table catalog.translation_transitions (
    from_status text not null check (from_status in ('draft', 'review', 'approved', 'synced', 'stale', 'failed')),
    to_status   text not null check (to_status in ('draft', 'review', 'approved', 'synced', 'stale', 'failed')),
    primary key (from_status, to_status)
);
insert into catalog.translation_transitions (from_status, to_status) values
    ('draft', 'draft'), ('draft', 'review'), ('draft', 'stale'),
    ('review', 'draft'), ('review', 'approved'), ('review', 'stale'),
    ('approved', 'draft'), ('approved', 'synced'), ('approved', 'failed'), ('approved', 'stale'),
    ('synced', 'draft'), ('synced', 'approved'), ('synced', 'stale'),
    ('stale', 'draft'), ('stale', 'review'),
    ('failed', 'draft'), ('failed', 'approved'), ('failed', 'synced'), ('failed', 'failed'), ('failed', 'stale');
comment on table catalog.translation_transitions is
    'Allowed status changes of a translation (trigger translations_check_transition refuses any other, naming both '
    'states). A draft is reviewed before it is approved; only approved texts are synced; synced -> approved '
    'is a re-push (an overlay removed, a shop added)';

create table catalog.translations (
    id               bigint generated always as identity primary key,
    master_shop_id   bigint not null references core.shops (shop_id) on delete cascade,
    product_guid     uuid not null,
    field            text not null,
    language         text not null,
    target_shop_id   bigint references core.shops (shop_id) on delete cascade,
    status           text not null default 'draft',
    text             text not null,
    source_language  text not null,
    source_text      text,
    source_hash      bytea not null,
    origin           text not null default 'manual',
    changed_by       text not null,
    changed_at       timestamptz not null default now(),
    created_at       timestamptz not null default now(),
    synced_at        timestamptz,
    sync_error       text,
    -- the product is checked by catalog.translation_draft (a key to catalog.products would need a
    -- shop_id column: the master is master_shop_id); status and field by checks (lookup tables)
    constraint translations_status check (status in ('draft', 'review', 'approved', 'synced', 'stale', 'failed')),
    constraint translations_field check (field in ('name', 'shortDescription', 'description', 'metaTitle', 'metaDescription', 'additionalName', 'xmlFeedName')),
    constraint translations_changed_by check (btrim(changed_by) <> ''),
    constraint translations_origin check (origin in ('manual', 'memory', 'xliff') or origin like 'machine:%')
);
create unique index translations_one_per_target on catalog.translations
    (master_shop_id, product_guid, field, language, coalesce(target_shop_id, 0));
create index translations_status on catalog.translations (master_shop_id, language, status);
create index translations_source on catalog.translations (master_shop_id, product_guid, field);

comment on table catalog.translations is
    'The translation workflow: one text per (master shop, product, field, target language, target shop or all '
    'shops of the master), its status (catalog.translation_statuses), who changed it, the source text it was '
    'made from and the last sync result. Written through catalog.translation_draft / translation_set_status; '
    'every change is kept in catalog.translation_events';
comment on column catalog.translations.product_guid is 'The master shop''s product GUID (other shops'' products are found by GUID or a shared variant code)';
comment on column catalog.translations.target_shop_id is 'One shop, or null: every shop of the master (the master included) that has the language';
comment on column catalog.translations.text is 'The translated text (HTML kept as written)';
comment on column catalog.translations.source_language is 'The master''s default language the source text is in';
comment on column catalog.translations.source_text is 'The master''s text the translation was made from (kept for the memory and XLIFF)';
comment on column catalog.translations.source_hash is 'SHA-256 of source_text: a master text with another hash makes the translation stale';
comment on column catalog.translations.origin is 'manual, memory (exact match), xliff (imported file) or machine:<provider>';
comment on column catalog.translations.changed_by is 'Free-text user name given to the CLI or dashboard';
comment on column catalog.translations.synced_at is 'When the text was last pushed to every target shop';
comment on column catalog.translations.sync_error is 'Shoptet''s refusal (or why no shop could take it) of the last failed push; null after success';

create table catalog.translation_events (
    id             bigint generated always as identity primary key,
    translation_id bigint not null,
    from_status    text,
    to_status      text not null,
    text           text not null,
    changed_by     text not null,
    changed_at     timestamptz not null default now(),
    note           text
);
create index translation_events_translation on catalog.translation_events (translation_id, id);
comment on column catalog.translation_events.translation_id is
    'catalog.translations.id (no foreign key: tenant keys carry shop_id; the history outlives a purged translation)';

comment on table catalog.translation_events is
    'History of every change of a translation (written by trigger translations_history): status before and after, '
    'the text at that moment, who and when; note carries a sync error or the reason of a stale mark';
comment on column catalog.translation_events.from_status is 'Status before the change; null when the translation was created';

-- per-shop overrides
create table catalog.text_overlays (
    shop_id      bigint not null references core.shops (shop_id) on delete cascade,
    product_guid uuid not null,
    language     text not null,
    field        text not null,
    value        text not null,
    changed_by   text not null,
    changed_at   timestamptz not null default now(),
    primary key (shop_id, product_guid, language, field),
    constraint text_overlays_field check (field in ('name', 'shortDescription', 'description', 'metaTitle', 'metaDescription', 'additionalName', 'xmlFeedName'))
);

comment on table catalog.text_overlays is
    'A shop''s own text for one field and language of a master product: wins over the approved translation '
    '(catalog.effective_texts) and is pushed like one';
comment on column catalog.text_overlays.product_guid is 'The master shop''s product GUID';

-- what was pushed to each shop: a re-sync of an unchanged text sends nothing
create table catalog.translation_pushes (
    shop_id      bigint not null references core.shops (shop_id) on delete cascade,
    product_guid uuid not null,
    language     text not null,
    field        text not null,
    value_hash   bytea not null,
    pushed_at    timestamptz not null default now(),
    primary key (shop_id, product_guid, language, field),
    constraint translation_pushes_field check (field in ('name', 'shortDescription', 'description', 'metaTitle', 'metaDescription', 'additionalName', 'xmlFeedName'))
);

comment on table catalog.translation_pushes is
    'The last text pushed to a shop per master product, language and field (SHA-256): catalog.translation_sync_plan '
    'leaves out what the shop has already';
comment on column catalog.translation_pushes.product_guid is 'The master shop''s product GUID';

-- translation memory
create table catalog.translation_memory (
    source_language text not null,
    target_language text not null,
    source_hash     bytea not null,
    source_text     text not null,
    target_text     text not null,
    uses            integer not null default 1,
    first_at        timestamptz not null default now(),
    last_at         timestamptz not null default now(),
    primary key (source_language, target_language, source_hash)
);
create index translation_memory_trgm on catalog.translation_memory
    using gin (source_text public.gin_trgm_ops);

comment on table catalog.translation_memory is
    'Every approved translation, source text -> target text per language pair (the latest approval wins); '
    'a new draft is pre-filled from an exact match, fuzzy matches (pg_trgm similarity) are offered in the worklist';
comment on column catalog.translation_memory.source_hash is 'SHA-256 of source_text: the exact-match key';
comment on column catalog.translation_memory.uses is 'How many approvals stored this pair';

-- machine translation usage per provider, shop and month
create table catalog.mt_usage (
    provider   text not null,
    shop_id    bigint not null references core.shops (shop_id) on delete cascade,
    month      date not null,
    characters bigint not null default 0,
    requests   integer not null default 0,
    updated_at timestamptz not null default now(),
    primary key (shop_id, provider, month),
    constraint mt_usage_month_start check (month = date_trunc('month', month)::date)
);

comment on table catalog.mt_usage is
    'Machine-translation usage per provider, shop and calendar month (UTC): characters of source text sent and '
    'requests made; catalog.mt_reserve refuses a request that would pass the provider''s monthly budget';
comment on column catalog.mt_usage.characters is 'Characters of source text sent (what DeepL bills)';

-- import: staging carries the product texts of the language the document was read in
-- (short_description, description and xml_feed_name came with 0151_catalog_feed_fields)
alter table ingest.stage_products
    add column if not exists language text,
    add column if not exists short_description text,
    add column if not exists description text,
    add column if not exists meta_title text,
    add column if not exists meta_description text,
    add column if not exists additional_name text,
    add column if not exists xml_feed_name text,
    add column if not exists texts boolean not null default false;
comment on column ingest.stage_products.language is 'Language the document was read in (null: the shop''s default)';
comment on column ingest.stage_products.texts is 'Whether the text columns were read (a document without them leaves catalog.product_texts alone)';

insert into ops.queue_timeouts (queue_name, stuck_after) values ('translations', interval '1 hour')
on conflict do nothing;
