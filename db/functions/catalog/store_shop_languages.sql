/*
 * catalog.store_shop_languages(p_shop_id, p_eshop): store the languages of a GET /api/eshop answer
 * (its data object). With the Foreign languages module the answer lists languages[] {code,
 * isDefault, isVisible, priority}; without it only settings.eshopLanguage counts (one language,
 * the default). Languages no longer listed are removed. Returns the codes stored, default first.
 * A code that is not a language code (catalog.is_language_code) is left out, never the others:
 * catalog.eshop_language_problems names it for the caller's warning (no usable code at all: the
 * stored languages stay). Raises 22023 when the answer
 * names no language at all.
 */
create or replace function catalog.store_shop_languages(p_shop_id bigint, p_eshop jsonb)
returns text[]
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_rows jsonb;
    v_codes text[];
begin
    if jsonb_typeof(p_eshop -> 'languages') = 'array' and jsonb_array_length(p_eshop -> 'languages') > 0 then
        v_rows := p_eshop -> 'languages';
    elsif jsonb_typeof(p_eshop #> '{settings,eshopLanguage}') = 'string' then
        v_rows := jsonb_build_array(jsonb_build_object(
            'code', p_eshop #>> '{settings,eshopLanguage}', 'isDefault', true, 'isVisible', true));
    else
        raise exception 'shop %: GET /api/eshop lists no languages[] and no settings.eshopLanguage', p_shop_id
            using errcode = '22023';
    end if;

    -- the listed languages; one default: the listed one, else the first by priority
    with given as (
        select lower(r ->> 'code') as language, coalesce((r ->> 'isDefault')::boolean, false) as is_default,
               coalesce((r ->> 'isVisible')::boolean, true) as is_visible, (r ->> 'priority')::integer as priority
        from jsonb_array_elements(v_rows) r
        where catalog.is_language_code(lower(r ->> 'code'))
    ), defaulted as (
        select g.language, g.is_visible, g.priority,
               g.is_default or (not bool_or(g.is_default) over ()
                                and row_number() over (order by g.priority nulls last, g.language) = 1) as is_default
        from given g
    )
    select coalesce(jsonb_agg(to_jsonb(d)), '[]') into v_rows from defaulted d;

    -- no usable code at all: the stored languages stay as they were
    if jsonb_array_length(v_rows) > 0 then
        -- gone, or the default no longer (the new default cannot be set while the old one stands)
        delete from catalog.shop_languages l
        where l.shop_id = p_shop_id
          and not exists (select from jsonb_array_elements(v_rows) r
                          where r ->> 'language' = l.language and (r ->> 'is_default')::boolean = l.is_default);
        insert into catalog.shop_languages as l (shop_id, language, is_default, is_visible, priority, synced_at)
        select p_shop_id, r ->> 'language', (r ->> 'is_default')::boolean, (r ->> 'is_visible')::boolean,
               (r ->> 'priority')::integer, now()
        from jsonb_array_elements(v_rows) r
        on conflict (shop_id, language) do update set
            is_visible = excluded.is_visible, priority = excluded.priority, synced_at = now();
    end if;

    select array_agg(l.language order by l.is_default desc, l.priority nulls last, l.language) into v_codes
    from catalog.shop_languages l where l.shop_id = p_shop_id;
    return v_codes;
end
$$;

comment on function catalog.store_shop_languages(bigint, jsonb) is
    'Store a shop''s languages from GET /api/eshop data (languages[], else settings.eshopLanguage); returns the codes, '
    'default first; codes that are not language codes are left out (catalog.eshop_language_problems names them); '
    'raises 22023 when none is named';
