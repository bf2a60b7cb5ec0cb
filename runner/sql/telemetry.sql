-- Writes of runner/telemetry.py: what a process buffered, one call each, in one transaction.

-- name: record_api_calls
select ops.record_api_calls(%(shop_ids)b::bigint[], %(statuses)b::integer[], %(at)b::timestamptz[],
                            %(seconds)b::double precision[]);

-- name: record_job_runs
select ops.record_job_runs(%(queues)s::text[], %(tasks)s::text[], %(statuses)s::text[], %(seconds)b::double precision[]);

-- name: record_webhook_deliveries
select ops.record_webhook_deliveries(%(outcomes)s::text[], %(counts)s::bigint[]);

-- name: log_events
select ops.log_events(%(events)s::jsonb);
