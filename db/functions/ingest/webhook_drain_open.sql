/*
 * ingest.webhook_drain_open(p_shop_id, p_entity, p_job_id): a drain job starts taking the waiting
 * webhook keys of a shop's entity: it is the open drain (ingest.webhook_drains) that
 * webhook_accept hands new keys to, until ingest.webhook_drain_close. A row left by a drain whose
 * worker died is taken over.
 */
create or replace function ingest.webhook_drain_open(p_shop_id bigint, p_entity text, p_job_id bigint)
returns void
language sql
set search_path = pg_catalog
as $$
    insert into ingest.webhook_drains as d (shop_id, entity, job_id)
    values (p_shop_id, p_entity, p_job_id)
    on conflict (shop_id, entity) do update set job_id = excluded.job_id, opened_at = now();
$$;

comment on function ingest.webhook_drain_open(bigint, text, bigint) is
    'Make a drain job the open drain of a shop''s entity (webhook_accept hands it new keys)';
