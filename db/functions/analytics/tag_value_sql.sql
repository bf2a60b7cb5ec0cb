/*
 * analytics.tag_value_sql(p_value, p_metric, p_kind, p_type, p_path): one JSON value of a tag
 * rule comparison as an SQL literal (format %L, never pasted text) of the metric's kind (see
 * analytics.tag_metrics): number -> numeric literal, text -> text literal, time -> a date
 * ("YYYY-MM-DD": core.shop_day_start(m.shop_id, date)), an ISO timestamp with offset, or
 * {"days_ago": n >= 0} (now() - n days), boolean -> true/false, other -> a literal cast to the
 * column's type after checking that the cast works.
 * Raises 22023 "at <path>: wrong value type ..." naming the metric, its type, what was expected
 * and what was given. Used by analytics.tag_condition_sql.
 */
create or replace function analytics.tag_value_sql(p_value jsonb, p_metric text, p_kind text, p_type text, p_path text)
returns text
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_json_type text := coalesce(jsonb_typeof(p_value), 'nothing');
    v_text text := p_value #>> '{}';
    v_expected text;
begin
    if p_kind = 'number' and v_json_type = 'number' then
        return format('%L::numeric', v_text);
    elsif p_kind = 'text' and v_json_type = 'string' then
        return format('%L::text', v_text);
    elsif p_kind = 'boolean' and v_json_type = 'boolean' then
        return v_text;
    elsif p_kind = 'time' and v_json_type = 'string'
          and v_text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
        begin
            perform v_text::date;
            return format('core.shop_day_start(m.shop_id, %L::date)', v_text);
        exception when datetime_field_overflow or invalid_datetime_format then
            null;  -- reported below as a wrong value
        end;
    elsif p_kind = 'time' and v_json_type = 'string'
          and v_text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' then
        begin
            perform v_text::timestamptz;
            return format('%L::timestamptz', v_text);
        exception when datetime_field_overflow or invalid_datetime_format then
            null;
        end;
    elsif p_kind = 'time' and v_json_type = 'object'
          and (select array_agg(k) from jsonb_object_keys(p_value) k) = array['days_ago']
          and jsonb_typeof(p_value -> 'days_ago') = 'number' and (p_value ->> 'days_ago')::numeric >= 0 then
        return format('(now() - %L::numeric * interval ''1 day'')', p_value ->> 'days_ago');
    elsif p_kind = 'other' and v_json_type = 'string' then
        begin
            execute format('select %L::%s', v_text, p_type);
            return format('%L::%s', v_text, p_type);
        exception when others then
            null;
        end;
    end if;

    v_expected := case p_kind
        when 'number' then 'a JSON number'
        when 'text' then 'a JSON string'
        when 'boolean' then 'true or false'
        when 'time' then 'a date "YYYY-MM-DD", a timestamp with offset "YYYY-MM-DDTHH:MM:SS+01:00", or {"days_ago": n} with n >= 0'
        else format('a JSON string that is a valid %s', p_type) end;
    raise exception 'at %: wrong value type for metric % (%): expected %, got %',
        p_path, p_metric, p_type, v_expected, coalesce(p_value::text, 'nothing')
        using errcode = '22023';
end
$$;

comment on function analytics.tag_value_sql(jsonb, text, text, text, text) is
    'One value of a tag rule comparison as a safe SQL literal of the metric''s kind (number, text, time, boolean, other); raises 22023 "at <path>: wrong value type ..."';
