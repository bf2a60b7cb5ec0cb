"""The dashboard's pages, one module each with ``ROUTES`` (runner/dashboard/__init__.py PAGES).

Owners while issue 15 is built in two branches: overview, shops, snapshots, queues, database
(branch web-core); customers (with the order detail), segments, inventory (branch web-pages)."""
