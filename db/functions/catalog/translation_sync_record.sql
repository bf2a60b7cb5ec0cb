/*
 * catalog.translation_sync_record(p_shop_id, p_results): record the outcome of pushing a shop's
 * texts. p_results is a jsonb array of {product_guid, language, field, value_hash (hex of
 * catalog.text_hash), ok (boolean), error (text, when not ok), translation_id (optional)}.
 * A pushed text is stored in catalog.translation_pushes; a translation whose push failed becomes
 * failed with the error (kept for the next sync to retry); then every approved or failed
 * translation of this shop that all its target shops now have (their effective text pushed with the same
 * hash) becomes synced with the time. Returns {pushed, failed, synced}.
 */
create or replace function catalog.translation_sync_record(p_shop_id bigint, p_results jsonb)
returns jsonb
language plpgsql
set search_path = pg_catalog
set jit = off  -- small OLTP queries: never worth compiling
as $$
declare
    v_pushed integer;
    v_failed integer;
    v_synced integer;
begin
    insert into catalog.translation_pushes as p (shop_id, product_guid, language, field, value_hash, pushed_at)
    select p_shop_id, (r ->> 'product_guid')::uuid, r ->> 'language', r ->> 'field',
           decode(r ->> 'value_hash', 'hex'), now()
    from jsonb_array_elements(p_results) r
    where (r ->> 'ok')::boolean
    on conflict (shop_id, product_guid, language, field) do update set
        value_hash = excluded.value_hash, pushed_at = now();
    get diagnostics v_pushed = row_count;

    with effective as materialized (
        -- this shop's effective texts, once
        select e.product_guid, e.language, e.field, e.translation_id
        from catalog.effective_texts e
        where e.shop_id = p_shop_id
    ), refused as (
        select distinct on (t.id) t.id, r ->> 'error' as error
        from jsonb_array_elements(p_results) r
        join catalog.translations t
          on t.id = coalesce((r ->> 'translation_id')::bigint,
                             (select e.translation_id from effective e
                              where e.product_guid = (r ->> 'product_guid')::uuid and e.language = r ->> 'language'
                                and e.field = r ->> 'field'))
        where not (r ->> 'ok')::boolean and t.status in ('approved', 'failed')
        order by t.id
    )
    update catalog.translations t
    set status = 'failed', sync_error = left(format('shop %s: %s', p_shop_id, f.error), 2000)
    from refused f
    where t.id = f.id;
    get diagnostics v_failed = row_count;

    -- approved or failed translations that go to this shop, with all their target shops
    with targets as materialized (
        select g.*
        from catalog.translation_targets() g
        join catalog.translations t on t.id = g.translation_id
        where t.status in ('approved', 'failed')
          and g.translation_id in (select g2.translation_id from catalog.translation_targets() g2
                                   where g2.shop_id = p_shop_id)
    ), effective as materialized (
        select e.shop_id, e.product_guid, e.language, e.field, catalog.text_hash(e.value) as value_hash
        from catalog.effective_texts e
        where e.shop_id in (select g.shop_id from targets g)
    ), missing as (
        -- a target shop that lacks the language or product, or has not got the text it should have
        select g.translation_id
        from targets g
        left join effective e
          on e.shop_id = g.shop_id and e.product_guid = g.product_guid and e.language = g.language and e.field = g.field
        left join catalog.translation_pushes p
          on p.shop_id = g.shop_id and p.product_guid = g.product_guid and p.language = g.language
         and p.field = g.field and p.value_hash = e.value_hash
        where not g.has_language or g.target_guid is null or p.shop_id is null
    )
    update catalog.translations t
    set status = 'synced', synced_at = now(), sync_error = null
    where t.id in (select g.translation_id from targets g)
      and t.id not in (select m.translation_id from missing m);
    get diagnostics v_synced = row_count;

    return jsonb_build_object('pushed', v_pushed, 'failed', v_failed, 'synced', v_synced);
end
$$;

comment on function catalog.translation_sync_record(bigint, jsonb) is
    'Record a shop''s push results ([{product_guid, language, field, value_hash hex, ok, error, translation_id}]): '
    'pushes stored, refused translations failed with the error, fully pushed ones synced; returns counts';
