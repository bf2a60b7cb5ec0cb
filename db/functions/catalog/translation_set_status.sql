/*
 * catalog.translation_set_status(p_id, p_status, p_changed_by): move one translation to another
 * status as p_changed_by. The transition is checked by trigger translations_check_transition
 * (23514 naming both states); an approval stores the pair in the translation memory. Returns the
 * new status. Raises 22023 for an unknown id or status, or an empty p_changed_by.
 */
create or replace function catalog.translation_set_status(p_id bigint, p_status text, p_changed_by text)
returns text
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_status text;
begin
    if coalesce(btrim(p_changed_by), '') = '' then
        raise exception 'translation %: who changes it (changed_by) is required', p_id using errcode = '22023';
    end if;
    if not exists (select from catalog.translation_statuses s where s.status = p_status) then
        raise exception 'unknown translation status %: expected one of %', p_status,
            (select string_agg(s.status, ', ' order by s.status) from catalog.translation_statuses s)
            using errcode = '22023';
    end if;
    update catalog.translations t
    set status = p_status, changed_by = btrim(p_changed_by),
        sync_error = case when p_status = 'failed' then t.sync_error end
    where t.id = p_id
    returning t.status into v_status;
    if v_status is null then
        raise exception 'no translation %', p_id using errcode = '22023';
    end if;
    return v_status;
end
$$;

comment on function catalog.translation_set_status(bigint, text, text) is
    'Move a translation to p_status as p_changed_by (allowed transitions only: 23514 names both states); returns '
    'the status; 22023 for an unknown id or status';
