-- Queries of runner/translations/ (workflow, sync, XLIFF, machine translation). The logic is in
-- the catalog.* functions (db/functions/catalog/); these are the calls.

-- name: store_languages
-- the shop's languages from a GET /api/eshop answer (data)
select catalog.store_shop_languages(%(shop_id)s, %(eshop)s::jsonb);

-- name: draft
select catalog.translation_draft(%(master_shop_id)s, %(product_guid)s::uuid, %(field)s, %(language)s, %(text)s,
                                 %(changed_by)s, %(target_shop_id)s, %(origin)s);

-- name: set_status
select catalog.translation_set_status(%(id)s, %(status)s, %(changed_by)s);

-- name: ids_in_status
-- translations of a language in a status (approve/reject --all)
select t.id from catalog.translations t
where t.language = lower(%(language)s) and t.status = %(status)s
  and (%(master_shop_id)s::bigint is null or t.master_shop_id = %(master_shop_id)s)
order by t.id;

-- name: status_counts
-- translations per master shop, language and status; a shop counts the translations it receives
select t.master_shop_id, t.language, t.status, count(*)::int as translations
from catalog.translations t
where (%(language)s::text is null or t.language = lower(%(language)s))
  and (%(shop_id)s::bigint is null or t.master_shop_id = %(shop_id)s
       or t.target_shop_id = %(shop_id)s
       or (t.target_shop_id is null
           and exists (select from core.shops s where s.shop_id = %(shop_id)s and s.master_shop_id = t.master_shop_id)))
group by 1, 2, 3
order by 1, 2, 3;

-- name: mt_usage
-- machine-translation usage of this month (UTC) per provider and shop
select u.provider, u.shop_id, to_char(u.month, 'YYYY-MM') as month, u.characters, u.requests
from catalog.mt_usage u
where u.month = date_trunc('month', now() at time zone 'UTC')::date
  and (%(shop_id)s::bigint is null or u.shop_id = %(shop_id)s)
order by 1, 2;

-- name: worklist
select * from catalog.translation_worklist(%(language)s, %(status)s, %(master_shop_id)s);

-- name: memory_matches
select * from catalog.memory_matches(%(source_language)s, %(target_language)s, %(text)s, %(limit)s);

-- name: sync_plan
select p.shop_id, p.master_shop_id, p.product_guid::text, p.target_guid::text, p.language, p.field, p.value,
       encode(p.value_hash, 'hex') as value_hash, p.source, p.translation_id, p.error
from catalog.translation_sync_plan(%(shop_id)s) p
order by p.target_guid, p.language, p.field;

-- name: sync_record
select catalog.translation_sync_record(%(shop_id)s, %(results)s::jsonb);

-- name: sync_lock
-- one translation sync per shop at a time, across processes (the worker's procrastinate lock
-- covers jobs; this covers `hub translate sync` run by hand as well)
select pg_try_advisory_lock(hashtextextended('hub.translations:' || %(shop_id)s::text, 0));

-- name: sync_unlock
select pg_advisory_unlock(hashtextextended('hub.translations:' || %(shop_id)s::text, 0));

-- name: export_units
-- translations of a language in a status, with the source text (XLIFF export)
select t.id, t.master_shop_id, t.product_guid::text, t.field, t.source_language, t.language, t.target_shop_id,
       t.status, coalesce(cur.value, t.source_text) as source_text, t.text
from catalog.translations t
left join catalog.product_texts cur
  on cur.shop_id = t.master_shop_id and cur.product_guid = t.product_guid
 and cur.language = t.source_language and cur.field = t.field
where t.language = lower(%(language)s) and t.status = any(%(statuses)s::text[])
  and (%(master_shop_id)s::bigint is null or t.master_shop_id = %(master_shop_id)s)
order by t.master_shop_id, t.product_guid, t.field, t.id;

-- name: translation_by_id
select t.id, t.master_shop_id, t.product_guid::text, t.field, t.language, t.target_shop_id, t.status, t.text,
       t.source_language, t.source_hash
from catalog.translations t
where t.id = %(id)s;

-- name: import_lock
-- an XLIFF import rewrites drafts; two at once would interleave
select pg_advisory_xact_lock(hashtextextended('hub.translations.import', 0));

-- name: mt_reserve
select catalog.mt_reserve(%(provider)s, %(shop_id)s, %(characters)s, %(budget)s);

-- name: source_text
-- the master's current source text of a product field (machine translation input)
select t.value, t.language
from catalog.product_texts t
where t.shop_id = %(master_shop_id)s and t.product_guid = %(product_guid)s::uuid and t.field = %(field)s
  and t.language = catalog.shop_default_language(%(master_shop_id)s);

-- name: overlay_set
insert into catalog.text_overlays as o (shop_id, product_guid, language, field, value, changed_by)
values (%(shop_id)s, %(product_guid)s::uuid, lower(%(language)s), %(field)s, %(value)s, %(changed_by)s)
on conflict (shop_id, product_guid, language, field) do update set
    value = excluded.value, changed_by = excluded.changed_by, changed_at = now();

-- name: overlay_delete
delete from catalog.text_overlays
where shop_id = %(shop_id)s and product_guid = %(product_guid)s::uuid and language = lower(%(language)s)
  and field = %(field)s;

-- name: effective
select e.shop_id, e.product_guid::text, e.language, e.field, e.value, e.source, e.translation_id
from catalog.effective_texts e
where e.shop_id = %(shop_id)s and (%(language)s::text is null or e.language = lower(%(language)s))
order by e.product_guid, e.language, e.field;

-- name: batch_file_put
-- a batch file to serve; expired ones go at the same time
with gone as (delete from catalog.translation_batch_files where expires_at < now())
insert into catalog.translation_batch_files (name, shop_id, body) values (%(name)s, %(shop_id)s, %(body)s);

-- name: batch_file_get
select body from catalog.translation_batch_files where name = %(name)s and expires_at > now();

-- name: untranslated
-- master products without a translation of the field into the language (machine translation input)
select p.guid::text, f.field
from catalog.products p
cross join unnest(%(fields)s::text[]) f (field)
where p.shop_id = %(master_shop_id)s and p.deleted_at is null
  and exists (select from catalog.product_texts t
              where t.shop_id = p.shop_id and t.product_guid = p.guid and t.field = f.field
                and t.language = catalog.shop_default_language(p.shop_id) and coalesce(t.value, '') <> '')
  and not exists (select from catalog.translations t
                  where t.master_shop_id = p.shop_id and t.product_guid = p.guid and t.field = f.field
                    and t.language = lower(%(language)s))
order by p.guid, f.field
limit %(limit)s;

-- name: batch_threshold
select core.setting_number('translations.batch_threshold', %(shop_id)s);

-- name: shops_to_sync
-- active shops with texts to push or push failures to report (the periodic dispatcher)
select distinct p.shop_id
from catalog.translation_sync_plan(null) p
join core.shops s on s.shop_id = p.shop_id and s.status = 'active'
order by 1;

-- name: sync_defer
select catalog.translation_sync_defer(%(shop_id)s);

-- name: shop_products
select p.guid::text from catalog.products p where p.shop_id = %(shop_id)s and p.deleted_at is null order by p.guid;

-- name: language_problems
-- language codes of a GET /api/eshop answer (data) that store_languages leaves out, with the reason
select code, problem from catalog.eshop_language_problems(%(eshop)s::jsonb);

-- name: language_warning
-- why a sync could not push translation id (no target shop has its language); null: none
select catalog.translation_language_warning(%(id)s);
