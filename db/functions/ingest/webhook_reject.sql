/*
 * ingest.webhook_reject(p_reason, p_shop_id): count one refused webhook delivery.
 */
create or replace function ingest.webhook_reject(p_reason text, p_shop_id bigint default null)
returns void
language sql
set search_path = pg_catalog
as $$
    insert into ingest.webhook_rejections as r (day, reason, shop_id, count, last_at)
    values (current_date, p_reason, p_shop_id, 1, now())
    on conflict on constraint webhook_rejections_key
    do update set count = r.count + 1, last_at = excluded.last_at;
$$;

comment on function ingest.webhook_reject(text, bigint) is
    'Count a refused webhook delivery in ingest.webhook_rejections (per day, reason, shop)';
