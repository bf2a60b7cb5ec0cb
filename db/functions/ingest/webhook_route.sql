/*
 * ingest.webhook_route(p_event): which job carries out a Shoptet webhook event.
 * Entity events (key_kind not null) put their entity key into ingest.webhook_pending, and the
 * drain job of the shop's entity (task drain_webhooks) fetches its current state -- so create,
 * update and delete of the same key are the same work and share one fetch. Shop and job events
 * go to process_webhook_event, one job each; anything else: no row (ignored).
 */
create or replace function ingest.webhook_route(p_event text)
returns table (task_name text, queue_name text, entity text, key_kind text)
language sql
immutable
set search_path = pg_catalog
as $$
    select r.task_name, r.queue_name, r.entity, r.key_kind
    from (values
        ('order',                'drain_webhooks',        'webhooks',  'orders',    'order'),
        ('orderHistoryRemarks',  'drain_webhooks',        'webhooks',  'orders',    'order'),
        ('customer',             'drain_webhooks',        'webhooks',  'customers', 'customer'),
        ('product',              'drain_webhooks',        'webhooks',  'products',  'product'),
        ('productVariant',       'drain_webhooks',        'webhooks',  'products',  'variant'),
        ('productVariantPrice',  'drain_webhooks',        'webhooks',  'products',  'variant'),
        ('job',                  'process_webhook_event', 'snapshots', 'snapshots', null),
        ('addon',                'process_webhook_event', 'webhooks',  'shop',      null)
    ) as r (prefix, task_name, queue_name, entity, key_kind)
    where r.prefix = split_part(p_event, ':', 1)
      -- customer:import carries the fixed instance "customers", not a GUID: a sync's job
      and p_event <> 'customer:import';
$$;

comment on function ingest.webhook_route(text) is
    'Job (task, queue, lock entity, key kind) that carries out a webhook event; no row: the hub ignores the event';
