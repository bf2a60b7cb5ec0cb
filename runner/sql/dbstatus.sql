-- Queries of `hub db status` (runner/dbstatus.py).

-- name: server
-- server version, database size and sessions connected to it
select current_setting('server_version'), pg_size_pretty(pg_database_size(current_database())),
       (select count(*) from pg_stat_activity where datname = current_database());
