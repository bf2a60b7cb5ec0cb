/*
 * ops.sync_lag: per active shop and entity, how far the hub's data is behind Shoptet, and whether
 * the incremental sync keeps up.
 *
 * synced_until: the data holds every change Shoptet listed before it; lag = now() - synced_until;
 * lag_from says what it is:
 *   'sync run'        the start of the last sync run that read the change list to its end
 *                     (ingest.sync_cursors.synced_until: a run reads every change listed before it
 *                     started);
 *   'snapshot import' the start of the newest full snapshot import that finished, when later (its
 *                     file holds every change before it; customers and products are synced every
 *                     2 hours, so after a first import they have no run for a while);
 *   'sync cursor'     neither (runs recorded before migration 0240): the cursor, which a run leaves
 *                     at its start minus the 10-minute overlap, so this lag is at least 10 minutes;
 *   'shop added'      nothing yet: synced_until null, the lag counts from when the shop was added.
 * The cursor (where the next run starts reading, minus the overlap) is not the lag: it trails the
 * data by the overlap (newcomer finding 15a: the lag never showed below 10 minutes).
 * lagging: lag over 3 times the schedule's interval (ops.sync_intervals): several syncs in a row
 * failed (last_error says why) or none ran (no worker serves the entity's queue, or its jobs wait).
 * never_synced: no sync run has moved the cursor yet (a snapshot may have brought the data).
 */
create or replace view ops.sync_lag as
with base as (
    select s.shop_id, s.name as shop_name, i.entity,
           c.cursor_at, c.last_run_at, c.last_error,
           i.sync_every, s.created_at as shop_added_at,
           c.synced_until as run_until,
           (select max(j.started_at)
            from ingest.snapshot_jobs j
            where j.shop_id = s.shop_id and j.entity = i.entity and j.filters = '{}'::jsonb
              and j.status in ('completed', 'completed_with_errors')) as snapshot_until
    from core.shops s
    cross join ops.sync_intervals i
    left join ingest.sync_cursors c on c.shop_id = s.shop_id and c.entity = i.entity
    where s.status = 'active'
), known as (
    select b.*,
           case when b.run_until is not null or b.snapshot_until is not null
                then greatest(b.run_until, b.snapshot_until)
                else b.cursor_at end as synced_until,
           case when b.run_until is not null and (b.snapshot_until is null or b.run_until >= b.snapshot_until)
                     then 'sync run'
                when b.snapshot_until is not null then 'snapshot import'
                when b.cursor_at is not null then 'sync cursor'
                else 'shop added' end as lag_from
    from base b
)
select k.shop_id, k.shop_name, k.entity,
       k.cursor_at, k.last_run_at, k.last_error,
       k.sync_every,
       now() - coalesce(k.synced_until, k.shop_added_at) as lag,
       k.cursor_at is null as never_synced,
       now() - coalesce(k.synced_until, k.shop_added_at) > 3 * k.sync_every as lagging,
       k.synced_until,
       k.lag_from
from known k;

comment on view ops.sync_lag is
    'Per active shop and entity: how far the data is behind (lag from synced_until, lag_from says what that is), the schedule''s interval, lagging (lag > 3 x interval), the sync cursor, last error';
comment on column ops.sync_lag.lag is
    'now() - synced_until (nothing yet: now() - the shop''s created_at)';
comment on column ops.sync_lag.synced_until is
    'Every change Shoptet listed before this is in the hub: the start of the last complete sync run or of the newest full snapshot import, whichever is later; else the sync cursor';
comment on column ops.sync_lag.lag_from is
    'What synced_until is: sync run | snapshot import | sync cursor (no run recorded its start; trails by the 10-minute overlap) | shop added (nothing yet)';
comment on column ops.sync_lag.never_synced is
    'No sync run has moved the cursor yet (a snapshot import may have brought the data: lag_from)';
