/*
 * catalog.translation_language_warning(p_translation_id): why a sync could not push this
 * translation for want of a language, said when it is drafted (`hub translate draft` prints it as a
 * warning) rather than at the sync; null when a target has the language or the translation is unknown.
 *
 * A translation for one shop: that shop lacks the language (catalog.shop_languages). For all shops
 * of the master: neither the master nor any shop whose master it is has it. The wording is
 * catalog.translation_sync_plan's, plus the languages the shops do have. A shop whose languages were
 * never read (no `hub shop add`/`refresh` since) counts as lacking every language.
 */
create or replace function catalog.translation_language_warning(p_translation_id bigint)
returns text
language sql
stable
set search_path = pg_catalog
as $$
    select case
        when t.target_shop_id is not null then
            case when not exists (select from catalog.shop_languages l
                                  where l.shop_id = t.target_shop_id and l.language = t.language)
                 then format('shop %s has no language %s (its languages: %s); activate it in Shoptet (Cizí jazyky) '
                             'or retarget the translation, else a sync refuses it', t.target_shop_id, t.language,
                             coalesce((select string_agg(l.language, ', ' order by l.language)
                                       from catalog.shop_languages l where l.shop_id = t.target_shop_id),
                                      'never read'))
            end
        when not exists (select from core.shops s
                         join catalog.shop_languages l on l.shop_id = s.shop_id and l.language = t.language
                         where s.shop_id = t.master_shop_id or s.master_shop_id = t.master_shop_id) then
            format('no shop of master %s has language %s (their languages: %s); activate it in Shoptet (Cizí jazyky), '
                   'else a sync refuses it', t.master_shop_id, t.language,
                   coalesce((select string_agg(distinct l.language, ', ' order by l.language)
                             from core.shops s join catalog.shop_languages l on l.shop_id = s.shop_id
                             where s.shop_id = t.master_shop_id or s.master_shop_id = t.master_shop_id),
                            'never read'))
    end
    from catalog.translations t
    where t.id = p_translation_id
$$;

comment on function catalog.translation_language_warning(bigint) is
    'Why a translation (id) cannot be pushed for want of a language: its target shop, or every shop of its master, '
    'lacks the language (catalog.shop_languages); null when one has it or the id is unknown. Said at draft time';
