-- The webhook inbox: every distinct signed delivery from Shoptet, and counters of rejected ones.
--
-- ingest.webhook_events is written by ingest.webhook_accept() (POST /webhooks/shoptet), which
-- defers the event's processing job(s) in the same transaction: a row here always has its
-- jobs, and a 200 is sent only after both committed. Shoptet sends no event id; a delivery is
-- identified by (shop_id, event, event_instance, event_created) and repeats are ignored.
-- Only deliveries whose signature verified are stored.

create table ingest.webhook_events (
    event_id       bigint generated always as identity,
    shop_id        bigint not null references core.shops (shop_id),
    event          text not null,
    event_instance text not null,
    event_created  timestamptz not null,
    received_at    timestamptz not null default now(),
    payload        jsonb,
    status         text not null default 'queued',
    job_ids        bigint[] not null default '{}',
    processed_at   timestamptz,
    primary key (shop_id, event_id),
    constraint webhook_events_delivery_unique unique (shop_id, event, event_instance, event_created),
    constraint webhook_events_status_known check (status in ('queued', 'ignored', 'done'))
);
-- jobs look their event up by id alone (the key leads with shop_id for scale-out)
create index webhook_events_event_id on ingest.webhook_events (event_id);
create index webhook_events_processed on ingest.webhook_events (processed_at) where processed_at is not null;
create index webhook_events_job_ids on ingest.webhook_events using gin (job_ids);

comment on table ingest.webhook_events is
    'Durable webhook inbox: one row per distinct signed delivery (duplicates ignored); written with its jobs in one transaction';
comment on column ingest.webhook_events.shop_id is 'eshopId of the delivery (a shop of core.shops; unknown shops are rejected)';
comment on column ingest.webhook_events.event is 'Shoptet event name, e.g. order:update, order:massUpdate, job:finished';
comment on column ingest.webhook_events.event_instance is 'eventInstance as sent: an entity id, or for mass events a JSON list of ids as text';
comment on column ingest.webhook_events.event_created is 'eventCreated: when Shoptet created the event';
comment on column ingest.webhook_events.received_at is 'When the hub committed the delivery (the 200 came after)';
comment on column ingest.webhook_events.payload is 'The delivery''s payload field (sendPayload=full), else null';
comment on column ingest.webhook_events.status is
    'queued: its job(s) are deferred; ignored: an event the hub does not act on; done: every job of it finished';
comment on column ingest.webhook_events.job_ids is
    'procrastinate job ids that carry out this event (new ones, or already queued ones found by queueing_lock)';
comment on column ingest.webhook_events.processed_at is 'When the event became done or ignored';

create table ingest.webhook_rejections (
    day       date not null default current_date,
    reason    text not null,
    shop_id   bigint,
    count     bigint not null default 0,
    last_at   timestamptz not null default now(),
    constraint webhook_rejections_key unique nulls not distinct (day, reason, shop_id),
    constraint webhook_rejections_reason_known check (
        reason in ('unknown_shop', 'bad_signature', 'missing_signature', 'too_large', 'malformed'))
);

comment on table ingest.webhook_rejections is
    'Counters of refused webhook deliveries per day, reason and shop (nothing of them is stored or processed)';
comment on column ingest.webhook_rejections.reason is
    'unknown_shop (no signature key for the eshopId, 401), bad_signature / missing_signature (401), too_large (413), malformed (400)';
comment on column ingest.webhook_rejections.shop_id is 'The shop, when the delivery named a known one; null otherwise';
comment on column ingest.webhook_rejections.count is 'Deliveries refused on that day for that reason and shop';

create table ingest.sync_cursors (
    shop_id     bigint not null references core.shops (shop_id),
    entity      text not null,
    cursor_at   timestamptz,
    last_run_at timestamptz,
    last_error  text,
    updated_at  timestamptz not null default now(),
    primary key (shop_id, entity),
    constraint sync_cursors_entity_known check (entity in ('orders', 'customers', 'products'))
);

comment on table ingest.sync_cursors is
    'Incremental sync position per shop and entity; moved in the same transaction as the data it covers';
comment on column ingest.sync_cursors.cursor_at is 'changeTime up to which every change is applied (next sync reads from it minus an overlap)';
comment on column ingest.sync_cursors.last_run_at is 'When the last sync of this shop and entity finished';
comment on column ingest.sync_cursors.last_error is 'Error of the last failed sync, null after a success';
