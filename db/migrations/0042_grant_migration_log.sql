-- role: superuser
-- GET /healthz (runner.web) reports pending migrations by reading yoyo's _yoyo_migration;
-- the web app may connect as a hub_app login only, so it needs to read that table.
grant select on public._yoyo_migration to hub_app, hub_readonly;
