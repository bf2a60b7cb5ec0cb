/*
 * analytics.tag_rules_check(): trigger BEFORE INSERT OR UPDATE on analytics.tag_rules: a rule is
 * saved only when its condition compiles (analytics.tag_condition_sql) and every rfm_segment value
 * is a segment of the shop (analytics.check_rfm_segments); else raises 22023
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
        -- segment names must be the shop's (an unknown one would match nobody, silently)
        perform analytics.check_rfm_segments(new.shop_id, array(
            select v #>> '{}'
            from jsonb_path_query(new.condition, 'strict $.** ? (@.type() == "object")') c (node)
            cross join lateral jsonb_array_elements(case jsonb_typeof(c.node -> 'value')
                                                         when 'array' then c.node -> 'value'
                                                         else jsonb_build_array(c.node -> 'value') end) v
            where c.node ->> 'metric' = 'rfm_segment' and jsonb_typeof(v) = 'string'));
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
    'Trigger: refuse a tag rule whose condition does not compile or names an unknown RFM segment (22023 naming the rule, the JSON path and the fault); set updated_at';

create or replace trigger tag_rules_check
    before insert or update on analytics.tag_rules
    for each row execute function analytics.tag_rules_check();
