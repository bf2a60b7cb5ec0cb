/*
 * ops.sync_lag: per active shop and entity, how far the incremental sync is behind: lag = now -
 * the sync cursor (every change before the cursor is applied; a successful run moves it to the
 * time it started). A shop's entity never synced counts from when the shop was added. lagging:
 * lag over 3 times the schedule's interval (ops.sync_intervals): several syncs in a row failed
 * (last_error says why) or none ran (no worker serves the entity's queue, or its jobs wait).
 */
create or replace view ops.sync_lag as
select s.shop_id, s.name as shop_name, i.entity,
       c.cursor_at, c.last_run_at, c.last_error,
       i.sync_every,
       now() - coalesce(c.cursor_at, s.created_at) as lag,
       c.cursor_at is null as never_synced,
       now() - coalesce(c.cursor_at, s.created_at) > 3 * i.sync_every as lagging
from core.shops s
cross join ops.sync_intervals i
left join ingest.sync_cursors c on c.shop_id = s.shop_id and c.entity = i.entity
where s.status = 'active';

comment on view ops.sync_lag is
    'Per active shop and entity: sync cursor, lag behind now, the schedule''s interval, lagging (lag > 3 x interval), last error';
comment on column ops.sync_lag.lag is 'now() - cursor_at (never synced: now() - the shop''s created_at)';
