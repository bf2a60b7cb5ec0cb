/*
 * ingest.webhook_drain_close(p_shop_id, p_entity, p_job_id): the drain job takes no more keys;
 * webhook_accept queues a new drain for the next ones. Called in the transaction of the drain's
 * last look (ingest.webhook_claim with p_final) that found nothing, or that handed the rest to the
 * next drain; a row another drain has taken over is left alone. Returns whether a row went.
 */
create or replace function ingest.webhook_drain_close(p_shop_id bigint, p_entity text, p_job_id bigint)
returns boolean
language sql
set search_path = pg_catalog
as $$
    with gone as (
        delete from ingest.webhook_drains d
        where d.shop_id = p_shop_id and d.entity = p_entity and d.job_id = p_job_id
        returning 1
    )
    select exists (select from gone);
$$;

comment on function ingest.webhook_drain_close(bigint, text, bigint) is
    'The drain job of a shop''s entity takes no more keys (webhook_accept queues the next); true when it was open';
