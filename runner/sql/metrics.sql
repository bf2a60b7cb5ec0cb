-- Query of runner/metrics.py (GET /metrics); which samples, from which views: ops.metrics().

-- name: samples
select family, sample, labels, value from ops.metrics();
