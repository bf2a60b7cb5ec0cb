-- role: superuser
-- /metrics (the web app, a hub_app login) reads ops.default_partition_rows, which calls
-- partman.check_default(): hub_app needs the partman schema and its configuration, read-only,
-- as hub_readonly already has (migration 0001).
grant usage on schema partman to hub_app;
grant select on all tables in schema partman to hub_app;
