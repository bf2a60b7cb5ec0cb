/*
 * ops.log_event(p_level, p_source, p_message, p_context, p_shop_id): write one row of ops.events
 * from SQL -- e.g. housekeeping saying how many rows it removed:
 *   perform ops.log_event('info', 'ops.housekeeping', 'removed old rows',
 *                         jsonb_build_object('removed', jsonb_build_object('ops.events', 12)));
 * p_level: debug, info, warning, error or critical (any case); p_context: a JSON object (null:
 * empty). Raises 22023 naming a bad level or a context that is no object. Returns the event_id.
 */
create or replace function ops.log_event(
    p_level text,
    p_source text,
    p_message text,
    p_context jsonb default '{}',
    p_shop_id bigint default null
)
returns bigint
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_level text := lower(p_level);
    v_id bigint;
begin
    if v_level is null or v_level not in ('debug', 'info', 'warning', 'error', 'critical') then
        raise exception 'ops.log_event: level %, expected debug, info, warning, error or critical', p_level
            using errcode = '22023';
    end if;
    if p_context is not null and jsonb_typeof(p_context) <> 'object' then
        raise exception 'ops.log_event: context must be a JSON object, got %', jsonb_typeof(p_context)
            using errcode = '22023';
    end if;
    insert into ops.events (level, source, shop_id, message, context)
    values (v_level, p_source, p_shop_id, p_message, coalesce(p_context, '{}'))
    returning event_id into v_id;
    return v_id;
end
$$;

comment on function ops.log_event(text, text, text, jsonb, bigint) is
    'Write one ops.events row (level debug..critical, source, message, context JSON object, shop); returns its id; '
    'a bad level or a non-object context raises 22023';
