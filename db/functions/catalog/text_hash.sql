/*
 * catalog.text_hash(p_text): SHA-256 of a text's UTF-8 bytes (null counts as the empty string).
 * The one hash of texts: catalog.product_texts.source_hash, translations.source_hash, the memory's
 * exact-match key and translation_pushes.value_hash are all made with it.
 */
create or replace function catalog.text_hash(p_text text)
returns bytea
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    select sha256(convert_to(coalesce(p_text, ''), 'UTF8'))
$$;

comment on function catalog.text_hash(text) is
    'SHA-256 (bytea, 32 bytes) of the text''s UTF-8 bytes, null as empty: the hash of every translation text';
