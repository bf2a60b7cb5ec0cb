/*
 * ingest.apply_products(p_shop_id, p_batch_id): upsert the products staged under p_batch_id
 * with their suppliers and variants into catalog.*, set-based, then empty the batch.
 *
 * A product is written only when new, soft-deleted, or changed and not older (changeTime):
 * re-applying the same file writes nothing. The variants of a written product are upserted
 * by code; variants it no longer has are soft-deleted. The texts of a document read with its texts
 * (stage_products.texts) go to catalog.product_texts in the language it was read in (the shop's
 * default when null) where they differ.
 *
 * A row staged with a language (stage_products.language: a snapshot or detail read with
 * ?language=) carries texts only: it never writes the product, its variants or categories, and
 * its texts are kept only for a product the shop has (read in the default language first).
 * Data quality (docs/data-quality.md): a text longer than its field allows (catalog.text_fields)
 * is stored as Shoptet sent it; a language that is not a language code (catalog.is_language_code)
 * is not stored; both are reported in 'text_warnings' [{line_no, guid, language, field, message}]
 * naming shop, product, language and field, and never hold up the other rows.
 * Returns counts as jsonb: texts_written counts every text row written, texts_changed the same
 * counting only texts whose wording changed, null and '' both being no text (what `hub translate
 * pull` reports).
 */
create or replace function ingest.apply_products(p_shop_id bigint, p_batch_id bigint)
returns jsonb
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_suppliers integer;
    v_guids uuid[];
    v_variants integer := 0;
    v_removed integer := 0;
    v_texts integer := 0;
    v_texts_changed integer := 0;
    v_text_warnings jsonb;
    v_bad_languages text[];
    v_max record;
    v_language text := catalog.shop_default_language(p_shop_id);
begin
    insert into catalog.suppliers as s (shop_id, guid, name)
    select distinct on (p.supplier_guid) p_shop_id, p.supplier_guid, coalesce(p.supplier_name, p.supplier_guid::text)
    from ingest.stage_products p
    where p.batch_id = p_batch_id and p.supplier_guid is not null and p.language is null
    order by p.supplier_guid, p.changed_at desc nulls last
    on conflict (shop_id, guid) do update set name = excluded.name, synced_at = now(), deleted_at = null
    where s.name is distinct from excluded.name or s.deleted_at is not null;
    get diagnostics v_suppliers = row_count;

    with src as (
        select distinct on (s.guid) s.*
        from ingest.stage_products s
        where s.batch_id = p_batch_id and s.language is null
        order by s.guid, s.changed_at desc nulls last, s.line_no desc
    ), written as (
        insert into catalog.products as p (
            shop_id, guid, name, type, visibility, brand_code, brand_name, supplier_guid,
            default_category_guid, default_category_name, url, is_variant, created_at, changed_at, synced_at, deleted_at,
            xml_feed_name, short_description, description, images, categories, descriptive_parameters, flags)
        select p_shop_id, s.guid, s.name, s.type, s.visibility, s.brand_code, s.brand_name, s.supplier_guid,
               s.default_category_guid, s.default_category_name, s.url, s.is_variant, s.created_at, s.changed_at,
               now(), null, s.xml_feed_name, s.short_description, s.description, s.images, s.categories,
               s.descriptive_parameters, s.flags
        from src s
        on conflict (shop_id, guid) do update set
            name = excluded.name, type = excluded.type, visibility = excluded.visibility,
            brand_code = excluded.brand_code, brand_name = excluded.brand_name,
            supplier_guid = excluded.supplier_guid, default_category_guid = excluded.default_category_guid,
            default_category_name = excluded.default_category_name, url = excluded.url,
            is_variant = excluded.is_variant, created_at = excluded.created_at, changed_at = excluded.changed_at,
            synced_at = now(), deleted_at = null, xml_feed_name = excluded.xml_feed_name,
            short_description = excluded.short_description, description = excluded.description,
            images = excluded.images, categories = excluded.categories,
            descriptive_parameters = excluded.descriptive_parameters, flags = excluded.flags
        where p.deleted_at is not null
           or ((p.changed_at is null or excluded.changed_at is null or excluded.changed_at >= p.changed_at)
               and (p.name, p.type, p.visibility, p.brand_code, p.brand_name, p.supplier_guid,
                    p.default_category_guid, p.default_category_name, p.url, p.is_variant, p.created_at, p.changed_at,
                    p.xml_feed_name, p.short_description, p.description, p.images, p.categories,
                    p.descriptive_parameters, p.flags)
                   is distinct from
                   (excluded.name, excluded.type, excluded.visibility, excluded.brand_code, excluded.brand_name,
                    excluded.supplier_guid, excluded.default_category_guid, excluded.default_category_name,
                    excluded.url, excluded.is_variant, excluded.created_at, excluded.changed_at,
                    excluded.xml_feed_name, excluded.short_description, excluded.description, excluded.images,
                    excluded.categories, excluded.descriptive_parameters, excluded.flags))
        returning p.guid
    )
    select coalesce(array_agg(guid), '{}') into v_guids from written;

    if cardinality(v_guids) > 0 then
        with src as (
            select distinct on (v.code) v.*, p.changed_at
            from ingest.stage_variants v
            join ingest.stage_products p on p.batch_id = v.batch_id and p.guid = v.product_guid
            where v.batch_id = p_batch_id and v.product_guid = any (v_guids)
            order by v.code, p.changed_at desc nulls last, p.line_no desc
        )
        insert into catalog.variants as v (
            shop_id, code, product_guid, ean, name, stock, unit, price, common_price, purchase_price, currency,
            vat_rate, including_vat, visible, availability, min_stock_supply, weight, manufacturer_code,
            changed_at, synced_at, deleted_at, parameters, image, mpn, availability_when_sold_out, action_price,
            action_price_from, action_price_to, heureka_cpc, heureka_feed_excluded, heureka_cart_excluded,
            zbozi_max_cpc, zbozi_max_search_cpc, zbozi_hidden)
        select p_shop_id, s.code, s.product_guid, s.ean, s.name, s.stock, s.unit, s.price, s.common_price,
               s.purchase_price, s.currency, s.vat_rate, s.including_vat, s.visible, s.availability,
               s.min_stock_supply, s.weight, s.manufacturer_code, s.changed_at, now(), null, s.parameters, s.image,
               s.mpn, s.availability_when_sold_out, s.action_price, s.action_price_from, s.action_price_to,
               s.heureka_cpc, s.heureka_feed_excluded, s.heureka_cart_excluded, s.zbozi_max_cpc,
               s.zbozi_max_search_cpc, s.zbozi_hidden
        from src s
        on conflict (shop_id, code) do update set
            product_guid = excluded.product_guid, ean = excluded.ean, name = excluded.name, stock = excluded.stock,
            unit = excluded.unit, price = excluded.price, common_price = excluded.common_price,
            purchase_price = excluded.purchase_price, currency = excluded.currency, vat_rate = excluded.vat_rate,
            including_vat = excluded.including_vat, visible = excluded.visible,
            availability = excluded.availability, min_stock_supply = excluded.min_stock_supply,
            weight = excluded.weight, manufacturer_code = excluded.manufacturer_code,
            changed_at = excluded.changed_at, synced_at = now(), deleted_at = null,
            parameters = excluded.parameters, image = excluded.image, mpn = excluded.mpn,
            availability_when_sold_out = excluded.availability_when_sold_out, action_price = excluded.action_price,
            action_price_from = excluded.action_price_from, action_price_to = excluded.action_price_to,
            heureka_cpc = excluded.heureka_cpc, heureka_feed_excluded = excluded.heureka_feed_excluded,
            heureka_cart_excluded = excluded.heureka_cart_excluded, zbozi_max_cpc = excluded.zbozi_max_cpc,
            zbozi_max_search_cpc = excluded.zbozi_max_search_cpc, zbozi_hidden = excluded.zbozi_hidden;
        get diagnostics v_variants = row_count;

        -- the category tree as the written products name it (include=allCategories)
        insert into catalog.categories as c (shop_id, guid, name, parent_guid)
        select distinct on (g.guid) p_shop_id, g.guid, g.name, g.parent_guid
        from (
            select core.normalize_guid(e ->> 'guid') as guid, e ->> 'name' as name,
                   core.normalize_guid(e ->> 'parentGuid') as parent_guid, s.changed_at, s.line_no
            from ingest.stage_products s
            cross join lateral jsonb_array_elements(
                case when jsonb_typeof(s.categories) = 'array' then s.categories else '[]' end) e
            where s.batch_id = p_batch_id and s.guid = any (v_guids) and s.language is null
              and jsonb_typeof(e) = 'object'
        ) g
        where g.guid is not null and g.name is not null
        order by g.guid, g.changed_at desc nulls last, g.line_no desc
        on conflict (shop_id, guid) do update set name = excluded.name, parent_guid = excluded.parent_guid,
            synced_at = now()
        where (c.name, c.parent_guid) is distinct from (excluded.name, excluded.parent_guid);

        update catalog.variants v set deleted_at = now(), synced_at = now()
        where v.shop_id = p_shop_id and v.product_guid = any (v_guids) and v.deleted_at is null
          and not exists (select from ingest.stage_variants s
                          where s.batch_id = p_batch_id and s.code = v.code and s.product_guid = v.product_guid);
        get diagnostics v_removed = row_count;
    end if;

    -- data quality of the texts (docs/data-quality.md): the languages of the batch that are no
    -- language codes (their texts are not stored), and each field's length limit
    select coalesce(array_agg(d.lang), '{}') into v_bad_languages
    from (select distinct coalesce(s.language, v_language) as lang
          from ingest.stage_products s where s.batch_id = p_batch_id and s.texts) d
    where not coalesce(catalog.is_language_code(d.lang), false);
    select max(tf.max_length) filter (where tf.field = 'name') as name,
           max(tf.max_length) filter (where tf.field = 'shortDescription') as short_description,
           max(tf.max_length) filter (where tf.field = 'description') as description,
           max(tf.max_length) filter (where tf.field = 'metaTitle') as meta_title,
           max(tf.max_length) filter (where tf.field = 'metaDescription') as meta_description,
           max(tf.max_length) filter (where tf.field = 'additionalName') as additional_name,
           max(tf.max_length) filter (where tf.field = 'xmlFeedName') as xml_feed_name
    into v_max
    from catalog.text_fields tf;

    -- the texts of the language each document was read in (catalog.product_texts), where they
    -- differ and the document is not older than the product the hub holds; a changed text of the
    -- master makes its translations stale (trigger product_texts_stale_*)
    with src as (
        select distinct on (s.guid, coalesce(s.language, v_language)) s.*, coalesce(s.language, v_language) as lang
        from ingest.stage_products s
        where s.batch_id = p_batch_id and s.texts
        order by s.guid, coalesce(s.language, v_language), s.changed_at desc nulls last, s.line_no desc
    ), fields as (
        select s.guid, s.lang as language, f.field, f.value
        from src s
        join catalog.products p on p.shop_id = p_shop_id and p.guid = s.guid
        cross join lateral (values ('name', s.name), ('shortDescription', s.short_description),
                                   ('description', s.description), ('metaTitle', s.meta_title),
                                   ('metaDescription', s.meta_description), ('additionalName', s.additional_name),
                                   ('xmlFeedName', s.xml_feed_name)) f (field, value)
        where (p.changed_at is null or s.changed_at is null or s.changed_at >= p.changed_at)
          and s.lang <> all (v_bad_languages)
    )
    , written as (
        insert into catalog.product_texts as t (shop_id, product_guid, language, field, value, changed_at)
        select p_shop_id, f.guid, f.language, f.field, f.value, now()
        from fields f
        on conflict (shop_id, product_guid, language, field) do update set value = excluded.value, changed_at = now()
        where t.value is distinct from excluded.value
        returning 1
    ), changed as (
        -- texts whose wording changed (the texts as they were before this statement): a field
        -- without text, null or '', stays "no text", and is not counted
        select count(*) as n
        from fields f
        left join catalog.product_texts t
          on t.shop_id = p_shop_id and t.product_guid = f.guid and t.language = f.language and t.field = f.field
        where coalesce(t.value, '') <> coalesce(f.value, '')
    )
    select (select count(*) from written), (select c.n from changed c)
    into v_texts, v_texts_changed;

    -- the warnings: only staged documents with a bad language or a text over a limit are looked at
    -- closely (a plain scan of the batch otherwise), and of those only the one applied per product
    -- and language (the newest, as src above chooses)
    select jsonb_agg(jsonb_build_object(
               'line_no', s.line_no, 'guid', s.guid, 'language', l.lang, 'field', f.field,
               'message', case
                   when l.bad then format(
                       'shop %s, product %s, language %L, field %s: %L is not a language code; '
                       'the text is not stored', p_shop_id, s.guid, l.lang, f.field, l.lang)
                   else format(
                       'shop %s, product %s, language %s, field %s: %s characters, Shoptet allows %s; '
                       'stored as sent', p_shop_id, s.guid, l.lang, f.field, char_length(f.value), tf.max_length) end)
           order by s.line_no, f.field)
    into v_text_warnings
    from ingest.stage_products s
    cross join lateral (select coalesce(s.language, v_language) as lang,
                               coalesce(s.language, v_language) = any (v_bad_languages) as bad) l
    join catalog.products p on p.shop_id = p_shop_id and p.guid = s.guid
    cross join lateral (values ('name', s.name), ('shortDescription', s.short_description),
                               ('description', s.description), ('metaTitle', s.meta_title),
                               ('metaDescription', s.meta_description), ('additionalName', s.additional_name),
                               ('xmlFeedName', s.xml_feed_name)) f (field, value)
    join catalog.text_fields tf on tf.field = f.field
    where s.batch_id = p_batch_id and s.texts
      and (coalesce(s.language, v_language) = any (v_bad_languages)
           or char_length(s.name) > v_max.name or char_length(s.short_description) > v_max.short_description
           or char_length(s.description) > v_max.description or char_length(s.meta_title) > v_max.meta_title
           or char_length(s.meta_description) > v_max.meta_description
           or char_length(s.additional_name) > v_max.additional_name
           or char_length(s.xml_feed_name) > v_max.xml_feed_name)
      and (p.changed_at is null or s.changed_at is null or s.changed_at >= p.changed_at)
      and ((l.bad and f.value is not null) or char_length(f.value) > tf.max_length)
      and not exists (select from ingest.stage_products n
                      where n.batch_id = p_batch_id and n.texts and n.guid = s.guid
                        and coalesce(n.language, v_language) = l.lang
                        and (n.changed_at > s.changed_at or (n.changed_at is not distinct from s.changed_at
                                                               and n.line_no > s.line_no)
                             or (s.changed_at is null and n.changed_at is not null)));

    -- a first import on a fresh database must not be planned blind (ingest.analyze_while_small)
    perform ingest.analyze_while_small('{catalog.products,catalog.variants}');
    delete from ingest.stage_variants where batch_id = p_batch_id;
    delete from ingest.stage_products where batch_id = p_batch_id;
    return jsonb_build_object('products_written', cardinality(v_guids), 'variants_written', v_variants,
                              'variants_removed', v_removed, 'suppliers_written', v_suppliers,
                              'texts_written', v_texts, 'texts_changed', v_texts_changed, 'text_warnings', coalesce(v_text_warnings, '[]'));
end
$$;

comment on function ingest.apply_products(bigint, bigint) is
    'Upsert the staged products of a batch with suppliers and variants (unchanged products skipped, vanished variants soft-deleted) '
    'and their texts into catalog.product_texts (where they differ; rows staged with a language carry texts only; '
    'too-long texts and bad language codes reported in text_warnings); empties the batch';
