/*
 * ingest.sync_cursor_start(p_shop_id, p_entity): where an incremental sync of a shop's entity
 * starts reading Shoptet's change list.
 *   origin 'cursor':   the stored cursor (every change before it is applied);
 *   origin 'snapshot': no cursor yet: when the newest full snapshot import that finished started
 *                      (its file holds every change before that);
 *   origin 'data':     no cursor, no snapshot, but rows exist (webhooks): their newest changed_at;
 *   origin 'undated': no cursor, rows exist, none has a changed_at: only a snapshot is safe;
 *   origin 'none':   no cursor and no rows: start now (history comes from a snapshot import).
 */
create or replace function ingest.sync_cursor_start(p_shop_id bigint, p_entity text)
returns table (cursor_at timestamptz, origin text)
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_at timestamptz;
    v_rows boolean;
begin
    -- a cursor in the future (moved there by a mistyped changeTime before sync_cursor_move kept it
    -- at now()) says nothing about what was applied: the next origin is used instead
    select c.cursor_at into v_at
    from ingest.sync_cursors c
    where c.shop_id = p_shop_id and c.entity = p_entity and c.cursor_at <= now();
    if v_at is not null then
        return query select v_at, 'cursor'::text;
        return;
    end if;

    select j.started_at into v_at
    from ingest.snapshot_jobs j
    where j.shop_id = p_shop_id and j.entity = p_entity and j.filters = '{}'::jsonb
      and j.status in ('completed', 'completed_with_errors') and j.started_at is not null
    order by j.finished_at desc nulls last, j.id desc
    limit 1;
    if v_at is not null then
        return query select v_at, 'snapshot'::text;
        return;
    end if;

    case p_entity
    when 'orders' then
        select max(o.changed_at) filter (where o.changed_at <= now()), bool_or(true) into v_at, v_rows
        from sales.orders o where o.shop_id = p_shop_id;
    when 'customers' then
        select max(c.changed_at) filter (where c.changed_at <= now()), bool_or(true) into v_at, v_rows
        from sales.customers c where c.shop_id = p_shop_id;
    when 'products' then
        select max(p.changed_at) filter (where p.changed_at <= now()), bool_or(true) into v_at, v_rows
        from catalog.products p where p.shop_id = p_shop_id;
    else
        raise exception 'ingest.sync_cursor_start: unknown entity %, expected orders, customers or products', p_entity
            using errcode = '22023';
    end case;

    return query select v_at, case when v_at is not null then 'data'
                                   when v_rows then 'undated'
                                   else 'none' end;
end
$$;

comment on function ingest.sync_cursor_start(bigint, text) is
    'Start of an incremental sync: the stored cursor, else the start of the last full snapshot import, else the newest changed_at of the shop''s rows (origin says which)';
