/*
 * analytics.tag_condition_sql(p_condition, p_path): check a tag rule condition (JSON) and compile
 * it to an SQL predicate over analytics.customer_metrics aliased m. Grammar:
 *   condition  = {"all": [condition, ...]}   every one holds (at least one condition)
 *              | {"any": [condition, ...]}   at least one holds
 *              | {"not": condition}
 *              | {"metric": M, "op": OP, "value": V}
 *   M          = a column of analytics.customer_metrics but shop_id (analytics.tag_metrics: read
 *                from the catalog, so a metric added later is taggable)
 *   OP         = "=" "!=" "<" "<=" ">" ">=" "in" "not in" "between" "is null" "is not null"
 *                (case and spacing free); which apply to which metric kind: analytics.tag_metrics
 *   V          = per analytics.tag_value_sql; "in" / "not in": a non-empty array of such values;
 *                "between": [low, high] (both included); "is null" / "is not null": no value.
 * A comparison with a null metric is false (not unknown), so "not" is plain negation and a
 * customer with no segment is "not in" ["lost"].
 * Values become literals with format(%L) and column names identifiers with format(%I): nothing of
 * the JSON is pasted into SQL as it stands.
 * Raises 22023 (invalid_parameter_value) with the place in the JSON (a path like
 * $.all[1].value) and what is wrong: not an object, unknown or missing key, empty group,
 * unknown metric (the known ones listed), unknown operator or one that does not apply to the
 * metric, wrong value type.
 */
create or replace function analytics.tag_condition_sql(p_condition jsonb, p_path text default '$', p_depth integer default 0)
returns text
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_keys text[];
    v_group text;
    v_parts text[];
    v_metric record;
    v_op text;
    v_ops text[] := array['=', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'between', 'is null', 'is not null'];
    v_value jsonb;
    v_literals text[];
begin
    if jsonb_typeof(p_condition) is distinct from 'object' then
        raise exception 'at %: a condition must be a JSON object: {"all": [...]}, {"any": [...]}, {"not": {...}} or {"metric": ..., "op": ..., "value": ...}; got %',
            p_path, coalesce(p_condition::text, 'nothing')
            using errcode = '22023';
    end if;
    if p_depth >= 32 then
        raise exception 'at %: conditions nested more than 32 deep', p_path using errcode = '22023';
    end if;
    v_keys := array(select k from jsonb_object_keys(p_condition) k order by k);

    if v_keys && array['all', 'any', 'not'] then
        if cardinality(v_keys) <> 1 then
            raise exception 'at %: a group has exactly one key ("all", "any" or "not"); got %',
                p_path, array_to_string(array(select to_json(k)::text from unnest(v_keys) k), ', ')
                using errcode = '22023';
        end if;
        v_group := v_keys[1];
        if v_group = 'not' then
            return '(not ' || analytics.tag_condition_sql(p_condition -> 'not', p_path || '.not', p_depth + 1) || ')';
        end if;
        if jsonb_typeof(p_condition -> v_group) is distinct from 'array' or jsonb_array_length(p_condition -> v_group) = 0 then
            raise exception 'at %.%: "%" needs a non-empty array of conditions; got %',
                p_path, v_group, v_group, p_condition -> v_group
                using errcode = '22023';
        end if;
        v_parts := array(
            select analytics.tag_condition_sql(e, format('%s.%s[%s]', p_path, v_group, i - 1), p_depth + 1)
            from jsonb_array_elements(p_condition -> v_group) with ordinality x (e, i)
            order by i);
        return '(' || array_to_string(v_parts, case v_group when 'all' then ' and ' else ' or ' end) || ')';
    end if;

    if not v_keys && array['metric', 'op', 'value'] then
        raise exception 'at %: a condition needs "all", "any", "not" or "metric"/"op"/"value"; got keys %',
            p_path, coalesce(nullif(array_to_string(array(select to_json(k)::text from unnest(v_keys) k), ', '), ''), 'none')
            using errcode = '22023';
    end if;
    if not v_keys <@ array['metric', 'op', 'value'] then
        raise exception 'at %: unknown key % (a comparison has "metric", "op" and "value")',
            p_path, array_to_string(array(select to_json(k)::text from unnest(v_keys) k
                                          where not k = any (array['metric', 'op', 'value']) order by k), ', ')
            using errcode = '22023';
    end if;
    if jsonb_typeof(p_condition -> 'metric') is distinct from 'string' then
        raise exception 'at %.metric: the metric must be a column name as a JSON string; got %',
            p_path, coalesce((p_condition -> 'metric')::text, 'nothing')
            using errcode = '22023';
    end if;
    select * into v_metric from analytics.tag_metrics() t where t.metric = p_condition ->> 'metric';
    if not found then
        raise exception 'at %.metric: unknown metric %; metrics: %',
            p_path, p_condition -> 'metric', (select string_agg(t.metric, ', ') from analytics.tag_metrics() t)
            using errcode = '22023';
    end if;
    if jsonb_typeof(p_condition -> 'op') is distinct from 'string' then
        raise exception 'at %.op: the operator must be a JSON string (one of %); got %',
            p_path, array_to_string(v_ops, ', '), coalesce((p_condition -> 'op')::text, 'nothing')
            using errcode = '22023';
    end if;
    v_op := regexp_replace(lower(btrim(p_condition ->> 'op')), '\s+', ' ', 'g');
    if not v_op = any (v_ops) then
        raise exception 'at %.op: unknown operator %; operators: %',
            p_path, p_condition -> 'op', array_to_string(v_ops, ', ')
            using errcode = '22023';
    end if;
    if not v_op = any (v_metric.operators) then
        raise exception 'at %.op: operator % does not apply to metric % (%); its operators: %',
            p_path, p_condition -> 'op', v_metric.metric, v_metric.sql_type, array_to_string(v_metric.operators, ', ')
            using errcode = '22023';
    end if;

    v_value := p_condition -> 'value';
    if v_op in ('is null', 'is not null') then
        if p_condition ? 'value' then
            raise exception 'at %.value: operator % takes no value; got %', p_path, v_op, v_value
                using errcode = '22023';
        end if;
        return format('(m.%I %s)', v_metric.metric, v_op);
    end if;
    if not p_condition ? 'value' then
        raise exception 'at %: "value" missing: operator % compares % with a value', p_path, v_op, v_metric.metric
            using errcode = '22023';
    end if;
    if v_op in ('in', 'not in', 'between') then
        if jsonb_typeof(v_value) is distinct from 'array'
           or jsonb_array_length(v_value) = 0
           or (v_op = 'between' and jsonb_array_length(v_value) <> 2) then
            raise exception 'at %.value: wrong value type for operator %: expected %; got %',
                p_path, v_op,
                case when v_op = 'between' then 'an array [low, high]' else 'a non-empty JSON array of values' end,
                v_value
                using errcode = '22023';
        end if;
        v_literals := array(
            select analytics.tag_value_sql(e, v_metric.metric, v_metric.value_kind, v_metric.sql_type,
                                           format('%s.value[%s]', p_path, i - 1))
            from jsonb_array_elements(v_value) with ordinality x (e, i)
            order by i);
        if v_op = 'between' then
            return format('coalesce(m.%I between %s and %s, false)', v_metric.metric, v_literals[1], v_literals[2]);
        end if;
        return format('coalesce(m.%I %s (%s), false)', v_metric.metric, v_op, array_to_string(v_literals, ', '));
    end if;
    return format('coalesce(m.%I %s %s, false)', v_metric.metric, case v_op when '!=' then '<>' else v_op end,
                  analytics.tag_value_sql(v_value, v_metric.metric, v_metric.value_kind, v_metric.sql_type, p_path || '.value'));
end
$$;

comment on function analytics.tag_condition_sql(jsonb, text, integer) is
    'Check a tag rule condition (JSON: all/any/not groups, {"metric","op","value"} comparisons) and compile it to an SQL predicate over analytics.customer_metrics m; raises 22023 "at <JSON path>: <what is wrong>"';
