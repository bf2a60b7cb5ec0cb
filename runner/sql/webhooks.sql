-- Queries of runner/web.py; the logic lives in the ingest.webhook_* functions.

-- name: webhook_accept
select event_id, created, job_ids from ingest.webhook_accept(%(shop_id)s, %(event)s, %(event_instance)s, %(event_created)s, %(payload)s);

-- name: webhook_reject
select ingest.webhook_reject(%(reason)s, %(shop_id)s);

-- name: shop_install
-- the shop of an addon installation: created, or (re)activated with its name kept
insert into core.shops (shop_id, name, status)
values (%(shop_id)s, %(name)s, 'active')
on conflict (shop_id) do update set status = 'active', updated_at = now()
returning shop_id;

-- name: healthz_ping
-- /healthz: the database answers
select 1;
