/*
 * catalog.translation_language_warnings(): every open translation a sync would refuse for want of a
 * language, grouped by master shop, target (null: every shop of the master) and language -- what
 * `hub translate draft` warns about one draft at a time (catalog.translation_language_warning, whose
 * wording each row's warning is), for the dashboard's overview.
 *
 * Open: any status but synced (draft, review, approved, stale, failed). One row per group:
 * translations (how many), drafts (of them in draft), first_id / last_id (the lowest and highest
 * translation id; `hub translate worklist --language L` lists them), warning. The warning depends
 * on the group only (its target or master and its language), so it is asked once per group, of
 * the group's first translation. Ordered by master, language, target (every shop's group first).
 */
create or replace function catalog.translation_language_warnings()
returns table (
    master_shop_id bigint,
    target_shop_id bigint,
    language text,
    translations bigint,
    drafts bigint,
    first_id bigint,
    last_id bigint,
    warning text
)
language sql
stable
set search_path = pg_catalog
as $$
    with open as (
        select t.master_shop_id, t.target_shop_id, t.language, count(*) as translations,
               count(*) filter (where t.status = 'draft') as drafts, min(t.id) as first_id, max(t.id) as last_id
        from catalog.translations t
        where t.status <> 'synced'
        group by t.master_shop_id, t.target_shop_id, t.language
    )
    select o.master_shop_id, o.target_shop_id, o.language, o.translations, o.drafts, o.first_id, o.last_id, w.warning
    from open o
    cross join lateral (select catalog.translation_language_warning(o.first_id) as warning) w
    where w.warning is not null
    order by o.master_shop_id, o.language, o.target_shop_id nulls first
$$;

comment on function catalog.translation_language_warnings() is
    'Open (not synced) translations a sync would refuse for want of a language, one row per master shop, target '
    '(null: every shop of the master) and language: translations, drafts, first_id, last_id and the warning '
    '(catalog.translation_language_warning''s text, the one hub translate draft prints). For the dashboard''s overview';
