/*
 * catalog.product_texts_stale(): statement trigger (AFTER INSERT and AFTER UPDATE of
 * catalog.product_texts, transition table new_rows) that marks stale every translation made from
 * an older text of a master shop: same master, product and field, the master's default language,
 * a source hash other than the new text's, not stale already. Set-based: one UPDATE per statement,
 * whatever wrote the texts (snapshot import, sync, webhook drain: ingest.apply_products).
 * The text of a stale translation is kept.
 */
create or replace function catalog.product_texts_stale()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
begin
    perform set_config('hub.translation_note', 'the master''s source text changed', true);
    update catalog.translations t set status = 'stale'
    from new_rows n
    where t.master_shop_id = n.shop_id and t.product_guid = n.product_guid and t.field = n.field
      and t.source_language = n.language
      and t.source_hash <> n.source_hash
      and t.status <> 'stale';
    perform set_config('hub.translation_note', '', true);
    return null;
end
$$;

comment on function catalog.product_texts_stale() is
    'Statement trigger on catalog.product_texts: translations made from another source text of the master become stale';

create or replace trigger product_texts_stale_insert
    after insert on catalog.product_texts
    referencing new table as new_rows
    for each statement execute function catalog.product_texts_stale();

create or replace trigger product_texts_stale_update
    after update on catalog.product_texts
    referencing new table as new_rows
    for each statement execute function catalog.product_texts_stale();
