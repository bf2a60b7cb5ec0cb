-- role: superuser
-- analytics.change_horizon() (security definer, owned by hub_owner) needs the start time of every
-- open transaction of the database, including those of other roles (a snapshot import running
-- as another login), to place the incremental refresh's watermark where no uncommitted change can
-- hide behind it. Only the minimum of those times leaves the function.
grant pg_read_all_stats to hub_owner;
