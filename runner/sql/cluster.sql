-- Queries of the embedded cluster (runner/cluster.py), run on its postgres database.

-- name: database_exists
select 1 from pg_database where datname = %(dbname)s;

-- name: create_database
-- the database name (the placeholder) is formatted with psycopg.sql.Identifier
create database {};
