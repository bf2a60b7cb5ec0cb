/*
 * catalog.translation_worklist(p_language, p_status default null, p_master_shop_id default null):
 * the translations a translator or reviewer works on in one language -- by default everything not
 * finished (draft, review, stale, failed), else those in p_status -- with the master's current
 * source text (for a stale one: what changed), and the best translation-memory match of that
 * source with its similarity (catalog.memory_matches; null when none reaches the threshold).
 */
create or replace function catalog.translation_worklist(
    p_language text, p_status text default null, p_master_shop_id bigint default null)
returns table (
    id bigint,
    master_shop_id bigint,
    product_guid uuid,
    product_name text,
    field text,
    language text,
    target_shop_id bigint,
    status text,
    text text,
    source_text text,
    current_source text,
    changed_by text,
    changed_at timestamptz,
    sync_error text,
    memory_text text,
    memory_similarity real
)
language sql
set search_path = pg_catalog
set jit = off  -- small OLTP queries: never worth compiling
as $$
    select t.id, t.master_shop_id, t.product_guid, p.name, t.field, t.language, t.target_shop_id, t.status, t.text,
           t.source_text, cur.value, t.changed_by, t.changed_at, t.sync_error, m.target_text, m.similarity
    from catalog.translations t
    join catalog.products p on p.shop_id = t.master_shop_id and p.guid = t.product_guid
    left join catalog.product_texts cur
      on cur.shop_id = t.master_shop_id and cur.product_guid = t.product_guid
     and cur.language = t.source_language and cur.field = t.field
    left join lateral catalog.memory_matches(t.source_language, t.language, coalesce(cur.value, t.source_text), 1) m on true
    where t.language = lower(p_language)
      and (p_master_shop_id is null or t.master_shop_id = p_master_shop_id)
      and (case when p_status is null then t.status in ('draft', 'review', 'stale', 'failed')
                else t.status = p_status end)
    order by t.status, p.name, t.product_guid, t.field, t.id
$$;

comment on function catalog.translation_worklist(text, text, bigint) is
    'Translations to work on in a language (default: draft, review, stale, failed) with the current source text and '
    'the best translation-memory match and its similarity';
