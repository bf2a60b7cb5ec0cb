-- Queries of the embedded cluster (runner/cluster.py), run on its postgres database.

-- name: database_exists
select 1 from pg_database where datname = %(dbname)s;

-- name: create_database
-- the database name (the placeholder) is formatted with psycopg.sql.Identifier
create database {};

-- name: reload_config
select pg_reload_conf();

-- name: archive_mode
-- archive_mode is read only at server start; 'on' once a start wrote it into hub.conf
select current_setting('archive_mode');
