/*
 * catalog.translation_draft(p_master_shop_id, p_product_guid, p_field, p_language, p_text,
 * p_changed_by, p_target_shop_id default null, p_origin default 'manual'): create or rewrite the
 * translation of one field of a master product into p_language (for one shop, or null: every
 * shop of the master that has the language) as a draft; returns its id.
 *
 * The source is the master's text in its default language (catalog.product_texts) as it is now:
 * the translation records it and its hash. p_text null takes the translation memory's exact match
 * (origin 'memory'). Whatever the previous status, the row becomes a draft again (a machine
 * translation or an import never approves). Errors (22023 unless said): the shop is not a master
 * (a shop with a master of its own); unknown product or field; the target shop is not one of the
 * master's; the language is the master's own; no source text; p_text null and no memory match;
 * the text (given or from memory) empty or only white space (Shoptet refuses an empty name, and an
 * empty translation would blank the field in the shop); p_text longer than the field allows (name
 * 250, metaTitle 255, additionalName 150); an empty p_changed_by.
 */
create or replace function catalog.translation_draft(
    p_master_shop_id bigint,
    p_product_guid uuid,
    p_field text,
    p_language text,
    p_text text,
    p_changed_by text,
    p_target_shop_id bigint default null,
    p_origin text default 'manual'
)
returns bigint
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_source_language text := catalog.shop_default_language(p_master_shop_id);
    v_source text;
    v_hash bytea;
    v_text text := p_text;
    v_origin text := p_origin;
    v_field catalog.text_fields;
    v_id bigint;
begin
    if coalesce(btrim(p_changed_by), '') = '' then
        raise exception 'translation of product % %: who changes it (changed_by) is required', p_product_guid, p_field
            using errcode = '22023';
    end if;
    if not exists (select from core.shops s where s.shop_id = p_master_shop_id and s.master_shop_id is null) then
        raise exception 'shop % is not a master shop (unknown, or its texts come from master %)', p_master_shop_id,
            (select s.master_shop_id from core.shops s where s.shop_id = p_master_shop_id)
            using errcode = '22023';
    end if;
    select * into v_field from catalog.text_fields f where f.field = p_field;
    if v_field.field is null then
        raise exception 'unknown text field %: expected one of %', p_field,
            (select string_agg(f.field, ', ' order by f.field) from catalog.text_fields f)
            using errcode = '22023';
    end if;
    if not exists (select from catalog.products p
                   where p.shop_id = p_master_shop_id and p.guid = p_product_guid and p.deleted_at is null) then
        raise exception 'product % is not in master shop %', p_product_guid, p_master_shop_id using errcode = '22023';
    end if;
    if p_target_shop_id is not null and not exists (
            select from core.shops s
            where s.shop_id = p_target_shop_id
              and (s.shop_id = p_master_shop_id or s.master_shop_id = p_master_shop_id)) then
        raise exception 'shop % is not a shop of master %', p_target_shop_id, p_master_shop_id using errcode = '22023';
    end if;
    if lower(p_language) = v_source_language then
        raise exception 'language % is the master shop''s own (shop %): nothing to translate', p_language, p_master_shop_id
            using errcode = '22023';
    end if;

    select t.value, t.source_hash into v_source, v_hash
    from catalog.product_texts t
    where t.shop_id = p_master_shop_id and t.product_guid = p_product_guid
      and t.language = v_source_language and t.field = p_field;
    if coalesce(v_source, '') = '' then
        raise exception 'product % of shop % has no % text in %: nothing to translate', p_product_guid,
            p_master_shop_id, p_field, v_source_language using errcode = '22023';
    end if;

    if v_text is null then
        select m.target_text into v_text
        from catalog.translation_memory m
        where m.source_language = v_source_language and m.target_language = lower(p_language) and m.source_hash = v_hash;
        if v_text is null then
            raise exception 'product % %: no text given and no translation memory match (% -> %)', p_product_guid,
                p_field, v_source_language, lower(p_language) using errcode = '22023';
        end if;
        v_origin := 'memory';
    end if;
    if btrim(v_text, E' \t\r\n\u00a0') = '' then
        raise exception 'product % of shop % %: the % text is empty; give the translation, or leave the field untranslated',
            p_product_guid, p_master_shop_id, p_field, lower(p_language) using errcode = '22023';
    end if;
    if v_field.max_length is not null and char_length(v_text) > v_field.max_length then
        raise exception 'product % %: the % text has % characters; Shoptet allows at most %', p_product_guid, p_field,
            lower(p_language), char_length(v_text), v_field.max_length using errcode = '22001';
    end if;

    insert into catalog.translations as t (
        master_shop_id, product_guid, field, language, target_shop_id, status, text, source_language, source_text,
        source_hash, origin, changed_by)
    values (p_master_shop_id, p_product_guid, p_field, lower(p_language), p_target_shop_id, 'draft', v_text,
            v_source_language, v_source, v_hash, v_origin, btrim(p_changed_by))
    on conflict (master_shop_id, product_guid, field, language, coalesce(target_shop_id, 0)) do update set
        status = 'draft', text = excluded.text, source_language = excluded.source_language,
        source_text = excluded.source_text, source_hash = excluded.source_hash, origin = excluded.origin,
        changed_by = excluded.changed_by, sync_error = null
    returning t.id into v_id;
    return v_id;
end
$$;

comment on function catalog.translation_draft(bigint, uuid, text, text, text, text, bigint, text) is
    'Create or rewrite a translation (master shop, product, field, language, target shop or null = all) as draft '
    'from the master''s current default-language text; p_text null: the memory''s exact match. Returns its id. '
    'Raises 22023 (not a master, unknown product/field/target, own language, no source, no match, empty or blank text) '
    'or 22001 (too long)';
