-- Queries of `hub db maintain` (runner/maintain.py) and the hourly maintenance task (runner/tasks.py).

-- name: run_maintenance
select ops.run_maintenance();
