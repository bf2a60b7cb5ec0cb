/*
 * catalog.translations_check_transition(): trigger (BEFORE UPDATE of catalog.translations) that
 * refuses a status change catalog.translation_transitions does not allow, naming both states and
 * the allowed ones; on a text change it stamps changed_at. Raises 23514 (check_violation).
 */
create or replace function catalog.translations_check_transition()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
begin
    if new.status is distinct from old.status
       and not exists (select from catalog.translation_transitions t
                       where t.from_status = old.status and t.to_status = new.status) then
        raise exception 'translation %: % -> % is not allowed (from % it may go to: %)',
            old.id, old.status, new.status, old.status,
            (select string_agg(t.to_status, ', ' order by t.to_status)
             from catalog.translation_transitions t where t.from_status = old.status and t.to_status <> old.status)
            using errcode = '23514';
    end if;
    if (new.status, new.text, new.changed_by) is distinct from (old.status, old.text, old.changed_by) then
        new.changed_at := now();
    end if;
    return new;
end
$$;

comment on function catalog.translations_check_transition() is
    'Trigger: refuses a translation status change not in catalog.translation_transitions (23514, naming both states)';

create or replace trigger translations_check_transition
    before update on catalog.translations
    for each row execute function catalog.translations_check_transition();
