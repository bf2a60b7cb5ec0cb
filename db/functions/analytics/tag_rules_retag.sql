/*
 * analytics.tag_rules_retag(): trigger AFTER INSERT, UPDATE or DELETE on analytics.tag_rules:
 * re-tags every customer of the rule's shop for the rule's tag (the old and the new name), at
 * once and in the same transaction (analytics.apply_tag_rules with p_tags): a new rule tags, a
 * changed one re-tags, a removed one takes its tag away.
 */
create or replace function analytics.tag_rules_retag()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
begin
    if tg_op = 'UPDATE' and old.shop_id = new.shop_id then
        perform analytics.apply_tag_rules(new.shop_id, null, array[old.name, new.name]);
        return null;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        perform analytics.apply_tag_rules(old.shop_id, null, array[old.name]);
    end if;
    if tg_op in ('UPDATE', 'INSERT') then
        perform analytics.apply_tag_rules(new.shop_id, null, array[new.name]);
    end if;
    return null;
end
$$;

comment on function analytics.tag_rules_retag() is
    'Trigger: a saved or removed tag rule re-tags every customer of its shop for its tag (analytics.apply_tag_rules)';

create or replace trigger tag_rules_retag
    after insert or update or delete on analytics.tag_rules
    for each row execute function analytics.tag_rules_retag();
