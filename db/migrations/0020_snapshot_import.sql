-- Snapshot import: jobs with progress and retry bookkeeping, the dead letter of bad lines,
-- unlogged staging tables that COPY fills chunk by chunk, and the minted API access tokens
-- of addon shops.
--
-- The runner parses each gzip JSON-Lines file in Python (orjson: ~8x faster than jsonb
-- input), COPYs flat rows of one chunk into ingest.stage_* under a batch id, and one
-- set-based function (ingest.apply_orders / apply_customers / apply_products) upserts them
-- into sales / catalog in the same transaction that records the job's progress. A chunk is
-- applied entirely or not at all.

create table ingest.snapshot_jobs (
    id                  bigint generated always as identity,
    shop_id             bigint not null references core.shops (shop_id),
    entity              text not null,
    status              text not null default 'requested',
    shoptet_job_id      text,
    result_url          text,
    filters             jsonb not null default '{}',
    retry_count         integer not null default 0,
    max_retries         integer not null default 3,
    processed_count     bigint not null default 0,
    failed_count        bigint not null default 0,
    total_count         bigint,
    total_is_estimate   boolean not null default true,
    bytes_downloaded    bigint not null default 0,
    progress_percentage numeric(5,2) not null default 0,
    rows_per_second     numeric(12,1),
    requested_at        timestamptz not null default now(),
    started_at          timestamptz,
    ready_at            timestamptz,
    finished_at         timestamptz,
    last_attempt_at     timestamptz,
    updated_at          timestamptz not null default now(),
    last_error          text,
    primary key (shop_id, id),
    constraint snapshot_jobs_entity_known check (entity in ('orders', 'customers', 'products')),
    constraint snapshot_jobs_status_known check (status in (
        'requested', 'waiting', 'importing', 'completed', 'completed_with_errors', 'failed', 'retrying')),
    constraint snapshot_jobs_retries_sane check (retry_count >= 0 and max_retries >= 0),
    constraint snapshot_jobs_progress_range check (progress_percentage between 0 and 100)
);
-- `hub snapshot show ID` and the importer find a job by id alone
create index snapshot_jobs_id on ingest.snapshot_jobs (id);
create index snapshot_jobs_failed on ingest.snapshot_jobs (last_attempt_at) where status = 'failed';
create index snapshot_jobs_shoptet_job on ingest.snapshot_jobs (shop_id, shoptet_job_id);

comment on table ingest.snapshot_jobs is
    'One full (or filtered) import of a shop''s entity from a Shoptet snapshot: status, progress, retries';
comment on column ingest.snapshot_jobs.id is 'The hub''s job number (hub snapshot show|retry ID)';
comment on column ingest.snapshot_jobs.entity is 'orders (with their items), customers, or products (with their variants)';
comment on column ingest.snapshot_jobs.status is
    'requested: about to ask Shoptet; waiting: Shoptet builds the file (job:finished or polling); importing: streaming the file; '
    'completed; completed_with_errors: bad lines in ingest.snapshot_failures; failed: last_error says why, retried while retry_count < max_retries; '
    'retrying: picked by ingest.snapshot_jobs_due_for_retry() for another attempt';
comment on column ingest.snapshot_jobs.shoptet_job_id is 'jobId Shoptet gave for the snapshot request (GET /api/system/jobs/{jobId})';
comment on column ingest.snapshot_jobs.result_url is 'resultUrl of the finished Shoptet job: the gzip JSON-Lines file (valid 24 h)';
comment on column ingest.snapshot_jobs.filters is 'Query parameters of the snapshot request (e.g. changeTimeFrom); {} = the whole entity';
comment on column ingest.snapshot_jobs.retry_count is 'Failed attempts so far; the hourly retry stops at max_retries';
comment on column ingest.snapshot_jobs.processed_count is 'Lines of the file read so far (applied or dead-lettered), committed with their data';
comment on column ingest.snapshot_jobs.failed_count is 'Lines that went to ingest.snapshot_failures';
comment on column ingest.snapshot_jobs.total_count is 'Lines in the file: estimated from the bytes while streaming (total_is_estimate), exact at the end';
comment on column ingest.snapshot_jobs.progress_percentage is 'processed_count / total_count in percent, updated with every committed chunk';
comment on column ingest.snapshot_jobs.rows_per_second is 'Lines per second of the import so far';
comment on column ingest.snapshot_jobs.ready_at is 'When Shoptet reported the file ready (job:finished or a poll)';
comment on column ingest.snapshot_jobs.last_attempt_at is 'Start of the latest attempt (the hourly retry waits an hour after it)';
comment on column ingest.snapshot_jobs.last_error is 'Why the latest attempt failed, in words a merchant understands';

create table ingest.snapshot_failures (
    shop_id   bigint not null,
    job_id    bigint not null,
    line_no   bigint not null,
    error     text not null,
    raw_line  text,
    failed_at timestamptz not null default now(),
    primary key (shop_id, job_id, line_no),
    foreign key (shop_id, job_id) references ingest.snapshot_jobs (shop_id, id) on delete cascade
);
create index snapshot_failures_job on ingest.snapshot_failures (job_id, line_no);

comment on table ingest.snapshot_failures is
    'Dead letter: one row per bad line of a snapshot file (malformed JSON, wrong shape, unknown value); the rest of the file is imported';
comment on column ingest.snapshot_failures.line_no is 'Line number in the gunzipped file, from 1';
comment on column ingest.snapshot_failures.error is 'What is wrong with the line, naming the field';
comment on column ingest.snapshot_failures.raw_line is 'The line as received, cut to 4000 characters';

-- Staging: flat rows of one chunk, keyed by a random 62-bit batch id (chunks are parsed away from the
-- database, so the id is not drawn from a sequence); COPY types the values.
create unlogged table ingest.stage_orders (
    batch_id            bigint not null,
    line_no             bigint not null,
    code                text not null,
    guid                uuid,
    created_at          timestamptz,
    changed_at          timestamptz,
    status_id           integer,
    status_name         text,
    source_id           integer,
    source_name         text,
    email               text,
    phone               text,
    full_name           text,
    company             text,
    customer_guid       uuid,
    cash_desk_order     boolean,
    paid                boolean,
    total_with_vat      numeric(14,2),
    total_without_vat   numeric(14,2),
    total_vat           numeric(14,2),
    to_pay              numeric(14,2),
    currency            text,
    exchange_rate       numeric(18,8),
    shipping_guid       uuid,
    shipping_name       text,
    payment_method_guid uuid,
    payment_method_name text,
    billing_method_id   integer,
    language            text,
    vat_payer           boolean,
    vat_mode            text,
    stock_id            integer,
    billing_address     jsonb,
    delivery_address    jsonb,
    remark              text,
    admin_url           text
);
create index stage_orders_batch on ingest.stage_orders (batch_id, code);

create unlogged table ingest.stage_order_items (
    batch_id               bigint not null,
    order_code             text not null,
    item_id                bigint not null,
    item_type              text not null,
    product_type           text,
    product_guid           uuid,
    code                   text,
    ean                    text,
    name                   text,
    variant_name           text,
    brand                  text,
    amount                 numeric(14,3),
    amount_unit            text,
    amount_completed       numeric(14,3),
    weight                 numeric(14,3),
    price_ratio            numeric(10,4),
    unit_price_with_vat    numeric(14,2),
    unit_price_without_vat numeric(14,2),
    total_with_vat         numeric(14,2),
    total_without_vat      numeric(14,2),
    total_vat              numeric(14,2),
    vat_rate               numeric(6,2),
    purchase_price         numeric(14,2),
    status_id              integer,
    status_name            text,
    supplier_name          text
);
create index stage_order_items_batch on ingest.stage_order_items (batch_id, order_code, item_id);

create unlogged table ingest.stage_customers (
    batch_id           bigint not null,
    line_no            bigint not null,
    guid               uuid not null,
    email              text,
    full_name          text,
    company            text,
    phone              text,
    customer_group     text,
    price_list         text,
    disabled_orders    boolean,
    remark             text,
    billing_address    jsonb,
    delivery_addresses jsonb,
    accounts           jsonb,
    created_at         timestamptz,
    changed_at         timestamptz
);
create index stage_customers_batch on ingest.stage_customers (batch_id, guid);

create unlogged table ingest.stage_products (
    batch_id              bigint not null,
    line_no               bigint not null,
    guid                  uuid not null,
    name                  text,
    type                  text,
    visibility            text,
    brand_code            text,
    brand_name            text,
    supplier_guid         uuid,
    supplier_name         text,
    default_category_guid uuid,
    default_category_name text,
    url                   text,
    is_variant            boolean,
    created_at            timestamptz,
    changed_at            timestamptz
);
create index stage_products_batch on ingest.stage_products (batch_id, guid);

create unlogged table ingest.stage_variants (
    batch_id          bigint not null,
    product_guid      uuid not null,
    code              text not null,
    ean               text,
    name              text,
    stock             numeric(14,3),
    unit              text,
    price             numeric(14,2),
    common_price      numeric(14,2),
    purchase_price    numeric(14,2),
    currency          text,
    vat_rate          numeric(6,2),
    including_vat     boolean,
    visible           boolean,
    availability      text,
    min_stock_supply  numeric(14,3),
    weight            numeric(14,3),
    manufacturer_code text
);
create index stage_variants_batch on ingest.stage_variants (batch_id, code);

-- keys seen by a full snapshot: what is absent from a clean full snapshot was deleted at the source
create unlogged table ingest.snapshot_seen (
    job_id bigint not null,
    key    text not null
);
create index snapshot_seen_job on ingest.snapshot_seen (job_id, key);

comment on table ingest.stage_orders is 'Staging (unlogged): orders of one chunk being applied; emptied by ingest.apply_orders';
comment on table ingest.stage_order_items is 'Staging (unlogged): order lines of one chunk; emptied by ingest.apply_orders';
comment on table ingest.stage_customers is 'Staging (unlogged): customers of one chunk; emptied by ingest.apply_customers';
comment on table ingest.stage_products is 'Staging (unlogged): products of one chunk; emptied by ingest.apply_products';
comment on table ingest.stage_variants is 'Staging (unlogged): variants of the products of one chunk; emptied by ingest.apply_products';
comment on table ingest.snapshot_seen is
    'Keys (order code, customer/product GUID) a full snapshot contained; after a clean import the rest is soft-deleted';
comment on column ingest.stage_orders.line_no is 'Line of the snapshot file (or 0 for a single fetched document)';

-- Short-lived API access tokens minted with an addon shop's OAuth token (30 min), shared by
-- every process: minted under a row lock, so 20 concurrent callers cause one mint.
create table core.shop_access_tokens (
    shop_id         bigint primary key references core.shops (shop_id) on delete cascade,
    token           bytea not null,
    key_fingerprint text not null,
    expires_at      timestamptz not null,
    minted_at       timestamptz not null default now(),
    mint_count      bigint not null default 1
);

comment on table core.shop_access_tokens is
    'The current API access token of each addon shop (minted from its OAuth token, encrypted like secrets), reused until shortly before it expires';
comment on column core.shop_access_tokens.token is 'pgp_sym_encrypt of the token with HUB_SECRET_KEY';
comment on column core.shop_access_tokens.key_fingerprint is 'Fingerprint of the key that encrypted token';
comment on column core.shop_access_tokens.expires_at is 'minted_at + expires_in; the hub mints a new one a minute before';
comment on column core.shop_access_tokens.mint_count is 'How many tokens were minted for this shop so far';
