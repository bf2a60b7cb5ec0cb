-- Each shop's time zone, for its calendar: date-only bounds and per-day / per-month /
-- per-quarter figures of a shop are cut at midnight in the shop's zone, not at UTC midnight.
--
-- Times stay timestamptz, stored in UTC. The zone is Shoptet's GET /api/eshop
-- data.settings.timezone (an IANA name such as Europe/Prague; Shoptet also serves Slovakia,
-- Hungary and Romania), filled by `hub shop add`, the addon install and `hub shop refresh`
-- through core.shop_set_timezone; a missing or unknown zone falls back to Europe/Prague with a
-- warning naming the shop. The trigger core.shops_check_timezone (db/functions) refuses a
-- zone PostgreSQL does not know (pg_timezone_names).

alter table core.shops add column timezone text not null default 'Europe/Prague';

comment on column core.shops.timezone is
    'The shop''s time zone (Shoptet settings.timezone, an IANA name in pg_timezone_names): its calendar days start at midnight there';
