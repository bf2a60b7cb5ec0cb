/*
 * ops.api_call_buckets(): the upper bounds, in seconds, of the latency histogram of Shoptet API
 * calls (ops.api_calls, ops.api_call_totals, /metrics). Shoptet answers most calls within a
 * second; a paced or retried call can take a minute.
 */
create or replace function ops.api_call_buckets()
returns double precision[]
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    select array[0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]::double precision[];
$$;

comment on function ops.api_call_buckets() is
    'Upper bounds (seconds, ascending) of the Shoptet API latency histogram; a last bucket counts calls above 60 s';
