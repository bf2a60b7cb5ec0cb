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

    with refused as (
        select distinct on (t.id) t.id, r ->> 'error' as error
        from jsonb_array_elements(p_results) r
        join catalog.translations t
          on t.id = (r ->> 'translation_id')::bigint
          or (r ->> 'translation_id' is null
              and exists (select from catalog.effective_texts e
                          where e.shop_id = p_shop_id and e.translation_id = t.id
                            and e.product_guid = (r ->> 'product_guid')::uuid and e.language = r ->> 'language'
                            and e.field = r ->> 'field'))
        where not (r ->> 'ok')::boolean and t.status in ('approved', 'failed', 'synced')
        order by t.id
    )
    update catalog.translations t
    set status = 'failed', sync_error = left(format('shop %s: %s', p_shop_id, f.error), 2000)
    from refused f
    where t.id = f.id and t.status <> 'synced';
    get diagnostics v_failed = row_count;

    with done as (
        select t.id
        from catalog.translations t
        where t.status in ('approved', 'failed')
          and exists (select from catalog.translation_targets() g where g.translation_id = t.id and g.shop_id = p_shop_id)
          and not exists (
              select from catalog.translation_targets() g
              where g.translation_id = t.id
                and (not g.has_language or g.target_guid is null
                     or not exists (select from catalog.effective_texts e
                                    join catalog.translation_pushes p
                                      on p.shop_id = e.shop_id and p.product_guid = e.product_guid
                                     and p.language = e.language and p.field = e.field
                                     and p.value_hash = catalog.text_hash(e.value)
                                    where e.shop_id = g.shop_id and e.product_guid = t.product_guid
                                      and e.language = t.language and e.field = t.field)))
    )
    update catalog.translations t
    set status = 'synced', synced_at = now(), sync_error = null
    from done d
    where t.id = d.id;
    get diagnostics v_synced = row_count;

    return jsonb_build_object('pushed', v_pushed, 'failed', v_failed, 'synced', v_synced);
end
$$;

comment on function catalog.translation_sync_record(bigint, jsonb) is
    'Record a shop''s push results ([{product_guid, language, field, value_hash hex, ok, error, translation_id}]): '
    'pushes stored, refused translations failed with the error, fully pushed ones synced; returns counts';
