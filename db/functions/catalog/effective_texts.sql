/*
 * catalog.effective_texts: what each shop gets per master product, language and field -- its
 * overlay, else the approved translation (approved, synced or failed; one made for the shop wins
 * over one made for all shops), else nothing (no row: never the master's language by accident).
 * source says where the text came from: 'overlay' or 'translation' (translation_id names it).
 * Shops as catalog.translation_targets() finds them (written out here: a view is made before the
 * functions it would call); overlays of a shop apply to the master products it has.
 */
create or replace view catalog.effective_texts as
with candidates as (
    select o.shop_id, o.product_guid, o.language, o.field, o.value, 'overlay'::text as source,
           null::bigint as translation_id, 0 as rank
    from catalog.text_overlays o
    union all
    -- the shops of a translation as catalog.translation_targets() lists them, those with the language
    select t.target_shop_id, t.product_guid, t.language, t.field, t.text, 'translation', t.id, 1
    from catalog.translations t
    where t.target_shop_id is not null and t.status in ('approved', 'synced', 'failed')
      and exists (select from catalog.shop_languages l where l.shop_id = t.target_shop_id and l.language = t.language)
    union all
    select s.shop_id, t.product_guid, t.language, t.field, t.text, 'translation', t.id, 2
    from catalog.translations t
    join core.shops s on s.shop_id = t.master_shop_id or s.master_shop_id = t.master_shop_id
    where t.target_shop_id is null and t.status in ('approved', 'synced', 'failed')
      and exists (select from catalog.shop_languages l where l.shop_id = s.shop_id and l.language = t.language)
)
select distinct on (c.shop_id, c.product_guid, c.language, c.field)
       c.shop_id, c.product_guid, c.language, c.field, c.value, c.source, c.translation_id
from candidates c
order by c.shop_id, c.product_guid, c.language, c.field, c.rank;

comment on view catalog.effective_texts is
    'Per shop, master product, language and field: the text the shop gets (overlay, else approved translation -- '
    'shop-specific before all-shops) and its source (overlay | translation, translation_id); no row: nothing';
