-- The JSON Lines files of PATCH /api/products/batch (issue 19): Shoptet downloads the file from a
-- URL (batchFileUrlPath), so the hub keeps it here and `hub serve` answers
-- GET /translations/batch/<name> with it until it expires.

create table catalog.translation_batch_files (
    shop_id     bigint not null references core.shops (shop_id) on delete cascade,
    name        text not null,
    body        bytea not null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null default now() + interval '1 day',
    primary key (shop_id, name),
    constraint translation_batch_files_name check (name ~ '^[A-Za-z0-9_.-]{16,200}$')
);
-- the web app finds a file by its (random, effectively unique) name
create index translation_batch_files_name on catalog.translation_batch_files (name);

comment on table catalog.translation_batch_files is
    'JSON Lines files of translation batch updates (PATCH /api/products/batch batchFileUrlPath), served by the web app '
    'at /translations/batch/<name> until expires_at (Shoptet keeps a job 24 hours); the name is unguessable';
comment on column catalog.translation_batch_files.body is 'The file: one productUpdate JSON object with guid and language per line';
