/*
 * ingest.webhook_route(p_event): which job carries out a Shoptet webhook event.
 * Entity events become one fetch job per entity id (the job fetches the current state, so
 * create, update and delete of the same id are the same work and dedupe on one queueing
 * lock); shop and job events go to process_webhook_event; anything else: no row (ignored).
 */
create or replace function ingest.webhook_route(p_event text)
returns table (task_name text, queue_name text, entity text, key_kind text)
language sql
immutable
set search_path = pg_catalog
as $$
    select r.task_name, r.queue_name, r.entity, r.key_kind
    from (values
        ('order',                'fetch_order',           'webhooks',  'orders',    'order'),
        ('orderHistoryRemarks',  'fetch_order',           'webhooks',  'orders',    'order'),
        ('customer',             'fetch_customer',        'webhooks',  'customers', 'customer'),
        ('product',              'fetch_product',         'webhooks',  'products',  'product'),
        ('productVariant',       'fetch_product',         'webhooks',  'products',  'variant'),
        ('productVariantPrice',  'fetch_product',         'webhooks',  'products',  'variant'),
        ('job',                  'process_webhook_event', 'snapshots', 'snapshots', null),
        ('addon',                'process_webhook_event', 'webhooks',  'shop',      null)
    ) as r (prefix, task_name, queue_name, entity, key_kind)
    where r.prefix = split_part(p_event, ':', 1)
      -- customer:import carries the fixed instance "customers", not a GUID: a sync's job
      and p_event <> 'customer:import';
$$;

comment on function ingest.webhook_route(text) is
    'Job (task, queue, lock entity, key kind) that carries out a webhook event; no row: the hub ignores the event';
