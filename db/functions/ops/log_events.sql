/*
 * ops.log_events(p_events): write a batch of ops.events rows in one statement; runner/telemetry.py
 * calls it every few seconds with the warnings and errors a process logged. p_events is a JSON
 * array of objects {at, level, source, shop_id, message, context}: at an ISO 8601 time (missing:
 * now), level one of debug..critical (else 'warning' -- a bad level must not lose the message),
 * shop_id a number or null, context an object (else wrapped as {"value": ...}). Returns the rows written.
 */
create or replace function ops.log_events(p_events jsonb)
returns bigint
language sql
set search_path = pg_catalog
as $$
    with event as (
        select coalesce(e.at, now()) as at,
               case when lower(e.level) in ('debug', 'info', 'warning', 'error', 'critical') then lower(e.level)
                    else 'warning' end as level,
               coalesce(e.source, 'unknown') as source,
               e.shop_id,
               coalesce(e.message, '') as message,
               case when e.context is null then '{}'::jsonb
                    when jsonb_typeof(e.context) = 'object' then e.context
                    else jsonb_build_object('value', e.context) end as context
        from jsonb_to_recordset(p_events)
            as e(at timestamptz, level text, source text, shop_id bigint, message text, context jsonb)
    ),
    written as (
        insert into ops.events (at, level, source, shop_id, message, context)
        select at, level, source, shop_id, message, context from event
        returning 1
    )
    select count(*) from written;
$$;

comment on function ops.log_events(jsonb) is
    'Write a batch of ops.events rows from a JSON array of {at, level, source, shop_id, message, context}; '
    'returns the rows written (runner/telemetry.py)';
