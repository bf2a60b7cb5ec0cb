/*
 * analytics.tag_rules_check(): trigger BEFORE INSERT OR UPDATE on analytics.tag_rules: a rule is
 * saved only when its condition compiles (analytics.tag_condition_sql); else raises 22023
 * "tag rule '<name>' of shop <id>: at <JSON path>: <what is wrong>". Sets updated_at.
 */
create or replace function analytics.tag_rules_check()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
begin
    begin
        perform analytics.tag_condition_sql(new.condition);
    exception when invalid_parameter_value then
        raise exception 'tag rule % of shop %: %', quote_literal(new.name), new.shop_id, sqlerrm
            using errcode = '22023';
    end;
    if tg_op = 'UPDATE' then
        new.updated_at := now();
    end if;
    return new;
end
$$;

comment on function analytics.tag_rules_check() is
    'Trigger: refuse a tag rule whose condition does not compile (22023 naming the rule, the JSON path and the fault); set updated_at';

create or replace trigger tag_rules_check
    before insert or update on analytics.tag_rules
    for each row execute function analytics.tag_rules_check();
