/*
 * catalog.translation_sync_plan(p_shop_id): what a sync of one shop (null: every shop) has to
 * push -- the shop's effective texts (catalog.effective_texts, writable fields only) that differ
 * from what was last pushed there (catalog.translation_pushes, by hash): re-syncing an unchanged
 * text sends nothing. Rows with error set cannot be pushed and say why: the shop has no such
 * product (no GUID or variant code in common), a translation made for a shop without its
 * language, or an approved translation no shop of the master has the language for.
 * value_hash is catalog.text_hash(value); target_guid the shop's own product GUID.
 */
create or replace function catalog.translation_sync_plan(p_shop_id bigint default null)
returns table (
    shop_id bigint,
    master_shop_id bigint,
    product_guid uuid,
    target_guid uuid,
    language text,
    field text,
    value text,
    value_hash bytea,
    source text,
    translation_id bigint,
    error text
)
language sql
stable
set search_path = pg_catalog
set jit = off  -- small OLTP queries: never worth compiling
as $$
    with effective as (
        select e.*, coalesce(s.master_shop_id, s.shop_id) as master_shop_id
        from catalog.effective_texts e
        join core.shops s on s.shop_id = e.shop_id
        join catalog.text_fields f on f.field = e.field and f.writable
        where p_shop_id is null or e.shop_id = p_shop_id
    ), pending as (
        select e.shop_id, e.master_shop_id, e.product_guid,
               catalog.counterpart_guid(e.master_shop_id, e.product_guid, e.shop_id) as target_guid,
               e.language, e.field, e.value, catalog.text_hash(e.value) as value_hash, e.source, e.translation_id
        from effective e
        where not exists (select from catalog.translation_pushes p
                          where p.shop_id = e.shop_id and p.product_guid = e.product_guid
                            and p.language = e.language and p.field = e.field
                            and p.value_hash = catalog.text_hash(e.value))
    )
    select p.shop_id, p.master_shop_id, p.product_guid, p.target_guid, p.language, p.field, p.value, p.value_hash,
           p.source, p.translation_id,
           case when p.target_guid is null then
               format('shop %s has no product %s of master %s (no same GUID, no shared variant code)',
                      p.shop_id, p.product_guid, p.master_shop_id) end
    from pending p
    union all
    -- a translation made for one shop that lacks its language
    select g.shop_id, g.master_shop_id, g.product_guid, g.target_guid, g.language, g.field, t.text,
           catalog.text_hash(t.text), 'translation', t.id,
           format('shop %s has no language %s (its languages: %s); activate it in Shoptet (Cizí jazyky) '
                  'or retarget the translation', g.shop_id, g.language,
                  coalesce((select string_agg(l.language, ', ' order by l.language) from catalog.shop_languages l
                            where l.shop_id = g.shop_id), 'never read'))
    from catalog.translation_targets() g
    join catalog.translations t on t.id = g.translation_id
    where not g.has_language and t.target_shop_id is not null and t.status in ('approved', 'failed')
      and (p_shop_id is null or g.shop_id = p_shop_id)
    union all
    -- an approved translation for all shops that no shop of the master can take
    select t.master_shop_id, t.master_shop_id, t.product_guid, null, t.language, t.field, t.text,
           catalog.text_hash(t.text), 'translation', t.id,
           format('no shop of master %s has language %s; activate it in Shoptet (Cizí jazyky)', t.master_shop_id,
                  t.language)
    from catalog.translations t
    where t.target_shop_id is null and t.status in ('approved', 'failed')
      and (p_shop_id is null or t.master_shop_id = p_shop_id
           or exists (select from core.shops s where s.shop_id = p_shop_id and s.master_shop_id = t.master_shop_id))
      and not exists (select from core.shops s
                      join catalog.shop_languages l on l.shop_id = s.shop_id and l.language = t.language
                      where s.shop_id = t.master_shop_id or s.master_shop_id = t.master_shop_id)
$$;

comment on function catalog.translation_sync_plan(bigint) is
    'Texts a sync of a shop (null: all) must push: effective texts not pushed with the same hash, plus rows that '
    'cannot be pushed with error saying why (no product, shop lacks the language, no shop has it)';
