/*
 * catalog.translations_history(): trigger (AFTER INSERT OR UPDATE of catalog.translations) that
 * writes catalog.translation_events: every creation and every change of status, text or author,
 * with the sync error or the stale reason as note (GUC hub.translation_note, set by the functions
 * that change many rows at once). An approval also stores the pair in catalog.translation_memory.
 */
create or replace function catalog.translations_history()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
begin
    if tg_op = 'INSERT'
       or (new.status, new.text, new.changed_by) is distinct from (old.status, old.text, old.changed_by) then
        insert into catalog.translation_events (translation_id, from_status, to_status, text, changed_by, note)
        values (new.id, case when tg_op = 'UPDATE' then old.status end, new.status, new.text, new.changed_by,
                coalesce(nullif(current_setting('hub.translation_note', true), ''),
                         case when new.status = 'failed' then new.sync_error end));
    end if;
    if new.status = 'approved' and (tg_op = 'INSERT' or old.status is distinct from 'approved') then
        insert into catalog.translation_memory as m
            (source_language, target_language, source_hash, source_text, target_text)
        values (new.source_language, new.language, new.source_hash, coalesce(new.source_text, ''), new.text)
        on conflict (source_language, target_language, source_hash) do update set
            target_text = excluded.target_text, uses = m.uses + 1, last_at = now();
    end if;
    return null;
end
$$;

comment on function catalog.translations_history() is
    'Trigger: one catalog.translation_events row per creation or change (note from GUC hub.translation_note or the '
    'sync error); an approval is remembered in catalog.translation_memory';

create or replace trigger translations_history
    after insert or update on catalog.translations
    for each row execute function catalog.translations_history();
