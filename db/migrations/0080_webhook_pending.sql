-- The entity keys that webhooks named and the hub has not fetched since (issue 18: bursts).
--
-- ingest.webhook_accept() puts each key of an entity event here (an order code, a customer or
-- product GUID, a variant code) instead of queueing one job per key; one drain job per shop and
-- entity (task drain_webhooks, runner/shoptet/drain.py) takes up to 50 waiting keys at a time,
-- fetches them (3 requests at once, Shoptet's limit per token) and applies them set-based in one
-- transaction, which also deletes their rows here and marks done the events they complete.
--
-- A key named again while it waits stays one row (one fetch serves every event that named it);
-- each event bumps its seq, so a fetch that started before the last event does not remove the
-- row: the key is fetched once more. Rows are removed only by a committed apply, so nothing
-- acknowledged is lost when a worker dies, and a later drain picks up what is left.

create sequence ingest.webhook_pending_seq;

comment on sequence ingest.webhook_pending_seq is
    'Versions of ingest.webhook_pending rows: every event that names a key gives its row a new value';

create table ingest.webhook_pending (
    shop_id       bigint not null references core.shops (shop_id),
    entity        text not null,
    key_kind      text not null,
    key           text not null,
    seq           bigint not null,
    event_ids     bigint[] not null default '{}',
    queued_at     timestamptz not null default now(),
    last_event_at timestamptz not null default now(),
    attempts      integer not null default 0,
    last_error    text,
    failed_at     timestamptz,
    primary key (shop_id, entity, key_kind, key),
    constraint webhook_pending_entity_known check (entity in ('orders', 'customers', 'products')),
    constraint webhook_pending_kind_known check (
        (entity, key_kind) in (('orders', 'order'), ('customers', 'customer'), ('products', 'product'),
                               ('products', 'variant')))
);

-- a drain takes the oldest waiting keys of its shop and entity
create index webhook_pending_queue on ingest.webhook_pending (shop_id, entity, queued_at) where failed_at is null;
-- an event is done when no waiting key names it any more
create index webhook_pending_event_ids on ingest.webhook_pending using gin (event_ids);

comment on table ingest.webhook_pending is
    'Entity keys named by webhooks and not fetched since: one row per shop, entity and key; the drain job '
    'fetches and applies them in batches and deletes the rows in the same transaction';
comment on column ingest.webhook_pending.entity is 'orders, customers or products: the drain (and the lock shop:<id>:<entity>) that serves it';
comment on column ingest.webhook_pending.key_kind is
    'order (code), customer (GUID), product (GUID) or variant (code: GET /api/products/code/{code})';
comment on column ingest.webhook_pending.key is
    'The key as the webhook named it; a customer or product GUID in the lower case of core.normalize_guid';
comment on column ingest.webhook_pending.seq is
    'Bumped by every event that names the key; an apply removes the row only when the seq it read before '
    'fetching is still the row''s (else an event came during the fetch and the key is fetched again)';
comment on column ingest.webhook_pending.event_ids is
    'ingest.webhook_events that named the key since its last fetch; each is done when no row names it';
comment on column ingest.webhook_pending.queued_at is 'When the first of those events came (drains take the oldest first)';
comment on column ingest.webhook_pending.last_event_at is 'When the last of those events came';
comment on column ingest.webhook_pending.attempts is
    'Fetches of this key that failed (HTTP errors after the client''s own retries); reset by a new event';
comment on column ingest.webhook_pending.last_error is 'Why the last attempt failed';
comment on column ingest.webhook_pending.failed_at is
    'Set when the drain gave up on the key (5 failed attempts, or Shoptet refuses the key or sends a document '
    'that cannot be applied): drains skip it until a new event names it; ingest.webhook_events_failed lists it';

-- The drain that is taking a shop's waiting keys right now: webhook_accept() hands new keys to it
-- instead of queueing another drain (a burst is one job). The row goes in the same transaction as
-- the drain's last look (ingest.webhook_claim with p_final) that finds nothing more to do.
create table ingest.webhook_drains (
    shop_id   bigint not null references core.shops (shop_id),
    entity    text not null,
    job_id    bigint not null,
    opened_at timestamptz not null default now(),
    primary key (shop_id, entity),
    constraint webhook_drains_entity_known check (entity in ('orders', 'customers', 'products'))
);

comment on table ingest.webhook_drains is
    'The open drain (procrastinate job drain_webhooks) of a shop''s entity: it takes keys queued meanwhile, so '
    'webhook_accept queues no other; removed when the drain''s last look finds nothing (or it hands over)';
comment on column ingest.webhook_drains.job_id is
    'The drain''s job; reused by webhook_accept only while that job is doing (a dead worker''s job is recovered '
    'by ops.recover_stalled_jobs and runs again)';
comment on column ingest.webhook_drains.opened_at is 'When the drain started taking keys';
