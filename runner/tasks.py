"""The procrastinate app: every job of the hub and its schedule, in one place (`hub worker`).

Queues: webhooks, orders, customers, products, snapshots, analytics, maintenance, translations.

Locks: syncs, snapshot imports and analytics of a shop run under ``lock = "shop:<id>:<entity>"``
(procrastinate runs jobs with the same lock one after another, across all workers) and are
deferred with a ``queueing_lock`` so the same work is never waiting twice. Webhooks of an entity
do not get a job each: ingest.webhook_accept() in SQL puts their keys into ingest.webhook_pending
and hands them to the shop's open drain, else defers (or reuses) a waiting drain job
(``drain_webhooks``, queueing lock ``webhooks:<id>:<entity>``), which fetches and applies the
keys in batches (runner/shoptet/drain.py). A drain has no procrastinate lock: it takes turns with
the syncs and snapshot imports of the shop's entity on the entity's write lock
(runner/shoptet/entity_lock.py), held by a drain for its run, a sync for each batch, an import
for its run. When a job that held a procrastinate lock ends, the next job waiting for that lock
is announced to the workers at once (ops.notify_lock_released), not at their next poll.

Crash safety: a job does its data work in ONE transaction on its own connection, so a worker
killed mid-job leaves nothing half-written. Its job stays ``doing`` with a worker whose
heartbeat stops; ``retry_stalled_jobs`` (every minute, ops.recover_stalled_jobs in SQL) puts
such jobs back to ``todo`` with exponential backoff, after MAX_ATTEMPTS marks them ``failed``,
and ends them ``cancelled`` when the same work is already queued again (a waiting job with the
same queueing_lock), so that one runs; ops.job_recoveries says what was done and why.
Exceptions in a task are retried by RETRY (backoff) and end ``failed``; a drain has no retries of
its own (a key that fails is retried by the drains, see runner/shoptet/drain.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import procrastinate
import psycopg
from psycopg_pool import ConnectionPool

from runner.config import Config
from runner.db import Target, target_for
from runner.logs import log
from runner.queries import query

if TYPE_CHECKING:
    from procrastinate.app import WorkerOptions

logger = logging.getLogger("hub.tasks")

QUEUES = ("webhooks", "orders", "customers", "products", "snapshots", "analytics", "maintenance", "translations")
ENTITIES = ("orders", "customers", "products")
MAX_ATTEMPTS = 5
# task errors: retried after 2, 4, 8, 16 s (+ 1 s), then failed
RETRY = procrastinate.RetryStrategy(max_attempts=MAX_ATTEMPTS, wait=1, exponential_wait=2)
STALLED_AFTER_SECONDS = 60.0


def procrastinate_conninfo(conninfo: str) -> str:
    """conninfo with the procrastinate schema on the search_path (its functions use unqualified names)."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    options = str(params.get("options") or "")
    options = (options + " -c search_path=procrastinate,public").strip()
    return psycopg.conninfo.make_conninfo(conninfo, options=options)


def shop_lock(shop_id: int, entity: str) -> str:
    """The lock of a shop's entity: one job at a time writes it."""
    return f"shop:{shop_id}:{entity}"


app = procrastinate.App(connector=procrastinate.PsycopgConnector())

# -- the data connection of the tasks (one pool per worker process) ---------------------------

_pool: ConnectionPool | None = None
_target: Target | None = None  # the database the tasks work on (backups need its admin connection)


def configure(target: Target, *, pool_size: int = 4) -> procrastinate.App:
    """Bind the app (and the tasks' own data pool) to the hub database; returns the app.
    Called once by `hub worker`; calling it again rebinds (tests use one database each)."""
    global _pool, _target
    _target = target
    conninfo = procrastinate_conninfo(target.app)
    if _pool is not None:
        _pool.close()
    _pool = ConnectionPool(conninfo, min_size=1, max_size=pool_size, open=True, name="hub-tasks")
    connector = procrastinate.PsycopgConnector(conninfo=conninfo)
    app.connector = connector
    app.job_manager.connector = connector
    return app


@contextmanager
def transaction() -> Iterator[psycopg.Connection]:
    """One transaction on the tasks' pool: all of a job's data work commits together or not at all."""
    if _pool is None:
        raise RuntimeError("runner.tasks.configure() was not called in this process")
    with _pool.connection() as conn:
        with conn.transaction():
            yield conn


# -- webhook follow-ups --------------------------------------------------------------------


def _drain(shop_id: int, entity: str, job_id: int) -> dict[str, Any]:
    """Drain a shop's waiting webhook keys of one entity (runner/shoptet/drain.py). The HTTP
    requests hold no transaction; each batch is one."""
    from runner.shoptet import drain
    from runner.shoptet.shop_client import client_for_shop

    if _pool is None:
        raise RuntimeError("runner.tasks.configure() was not called in this process")
    with client_for_shop(shop_id) as api, _pool.connection() as conn:
        result = drain.drain(conn, api, shop_id, entity, job_id=job_id)
    if result.applied or result.deleted:
        analytics_after_write(shop_id, entity)
    return result.as_dict()


# No procrastinate retries: a key that fails is counted and retried by the drains themselves, and a
# drain job that fails leaves its keys waiting for the next event's drain or requeue_webhook_drains.
@app.task(name="drain_webhooks", queue="webhooks", pass_context=True)
def drain_webhooks(context: procrastinate.JobContext, shop_id: int, entity: str) -> dict[str, Any]:
    """order:*, customer:*, product:*, productVariant:* webhooks: fetch the shop's waiting keys of
    the entity in batches (3 requests at a time), upsert each batch set-based in one transaction."""
    assert context.job is not None and context.job.id is not None
    return _drain(shop_id, entity, context.job.id)


def _adopt(job_id: int, shop_id: int, entity: str, kind: str, key: str) -> dict[str, Any]:
    """A fetch job queued before the drains existed: its key (and events) to the drain, which runs now."""
    with transaction() as conn:
        conn.execute(
            query("tasks.webhook_pending_adopt"),
            {"job_id": job_id, "shop_id": shop_id, "entity": entity, "kind": kind, "key": key},
        )
    return _drain(shop_id, entity, job_id)


@app.task(name="fetch_order", queue="webhooks", pass_context=True)
def fetch_order(context: procrastinate.JobContext, shop_id: int, code: str) -> dict[str, Any]:
    """A job of one order:* webhook queued before the drains (drain_webhooks) took over: drains it."""
    assert context.job is not None and context.job.id is not None
    return _adopt(context.job.id, shop_id, "orders", "order", code)


@app.task(name="fetch_customer", queue="webhooks", pass_context=True)
def fetch_customer(context: procrastinate.JobContext, shop_id: int, guid: str) -> dict[str, Any]:
    """A job of one customer:* webhook queued before the drains took over: drains it."""
    assert context.job is not None and context.job.id is not None
    return _adopt(context.job.id, shop_id, "customers", "customer", guid)


@app.task(name="fetch_product", queue="webhooks", pass_context=True)
def fetch_product(
    context: procrastinate.JobContext, shop_id: int, guid: str | None = None, variant_code: str | None = None
) -> dict[str, Any]:
    """A job of one product:* / productVariant:* webhook queued before the drains took over: drains it."""
    assert context.job is not None and context.job.id is not None
    if guid:
        return _adopt(context.job.id, shop_id, "products", "product", guid)
    return _adopt(context.job.id, shop_id, "products", "variant", str(variant_code))


@app.periodic(cron="* * * * *")
@app.task(name="requeue_webhook_drains", queue="maintenance", queueing_lock="maintenance:drains", retry=RETRY)
def requeue_webhook_drains(timestamp: int | None = None) -> int:
    """Every minute: a drain for every shop and entity whose webhook keys wait with no drain job to
    take them (one failed or was cancelled); ingest.webhook_pending_requeue."""
    with transaction() as conn:
        rows = conn.execute(query("tasks.webhook_pending_requeue")).fetchall()
    for shop_id, entity, job_id in rows:
        log(logger, logging.WARNING, "webhook drain requeued", shop_id=shop_id, entity=entity, job_id=job_id)
    return len(rows)


@app.task(name="process_webhook_event", queue="webhooks", pass_context=True, retry=RETRY)
def process_webhook_event(context: procrastinate.JobContext, event_id: int) -> dict[str, Any]:
    """Events that are not one entity: addon:* change the shop's status (data kept);
    job:finished hands over to the snapshot import."""
    assert context.job is not None and context.job.id is not None
    with transaction() as conn:
        row = conn.execute(query("tasks.webhook_event_get"), {"event_id": event_id}).fetchone()
        if row is None:
            return {"event_id": event_id, "outcome": "gone"}
        shop_id, event, instance = row
        if event.startswith("addon:"):
            status = {
                "addon:uninstall": "uninstalled",
                "addon:terminate": "uninstalled",
                "addon:suspend": "disabled",
                "addon:approve": "active",
            }.get(event)
            if status is not None:
                conn.execute(query("tasks.shop_set_status"), {"status": status, "shop_id": shop_id})
            conn.execute(query("tasks.webhook_events_finish_job"), {"job_id": context.job.id})
            return {"event_id": event_id, "shop_status": status}
        if event == "job:finished":
            from runner.shoptet import snapshots

            snapshots.on_job_finished(conn, shop_id, instance)
            conn.execute(query("tasks.webhook_events_finish_job"), {"job_id": context.job.id})
            return {"event_id": event_id, "snapshot_job": instance}
        conn.execute(query("tasks.webhook_events_finish_job"), {"job_id": context.job.id})
        return {"event_id": event_id, "outcome": "no handler"}


# -- incremental sync ------------------------------------------------------------------------


@app.task(name="sync_entity", pass_context=True, retry=RETRY)
def sync_entity(context: procrastinate.JobContext, shop_id: int, entity: str) -> dict[str, Any]:
    """Incremental sync of one shop's entity from its ingest.sync_cursors position
    (runner/shoptet/sync.py): HTTP outside transactions, one transaction per batch with the cursor."""
    from runner.shoptet import sync
    from runner.shoptet.shop_client import client_for_shop

    if _pool is None:
        raise RuntimeError("runner.tasks.configure() was not called in this process")
    with client_for_shop(shop_id) as api, _pool.connection() as conn:
        try:
            summary = dict(sync.sync_entity(conn, api, shop_id, entity))
        except sync.SyncBusy as exc:  # `hub sync` of the same shop and entity is running
            log(logger, logging.INFO, "sync skipped", shop_id=shop_id, entity=entity, reason=str(exc))
            return {"shop_id": shop_id, "entity": entity, "skipped": str(exc)}
    if summary.get("upserted") or summary.get("deleted") or summary.get("snapshot"):
        analytics_after_write(shop_id, entity)
    return summary


def defer_sync(shop_id: int, entity: str) -> None:
    """Queue a sync of one shop's entity, unless one is already waiting."""
    try:
        sync_entity.configure(
            queue=entity, lock=shop_lock(shop_id, entity), queueing_lock=f"sync:{shop_id}:{entity}"
        ).defer(shop_id=shop_id, entity=entity)
    except procrastinate.exceptions.AlreadyEnqueued:
        pass


def _active_shops() -> list[int]:
    with transaction() as conn:
        return [r[0] for r in conn.execute(query("tasks.active_shops")).fetchall()]


def _dispatch_sync(entity: str) -> int:
    shops = _active_shops()
    for shop_id in shops:
        defer_sync(shop_id, entity)
    return len(shops)


@app.periodic(cron="*/5 * * * *", periodic_id="orders")
@app.task(name="schedule_orders_sync", queue="orders", queueing_lock="schedule:orders")
def schedule_orders_sync(timestamp: int) -> int:
    """Every 5 minutes: one orders sync per active shop."""
    return _dispatch_sync("orders")


@app.periodic(cron="0 */2 * * *", periodic_id="customers")
@app.task(name="schedule_customers_sync", queue="customers", queueing_lock="schedule:customers")
def schedule_customers_sync(timestamp: int) -> int:
    """Every 2 hours: one customers sync per active shop."""
    return _dispatch_sync("customers")


@app.periodic(cron="10 */2 * * *", periodic_id="products")
@app.task(name="schedule_products_sync", queue="products", queueing_lock="schedule:products")
def schedule_products_sync(timestamp: int) -> int:
    """Every 2 hours (offset 10 min): one products sync per active shop."""
    return _dispatch_sync("products")


# -- analytics ---------------------------------------------------------------------------------
# The SQL is in db/functions/analytics/ (docs/analytics.md). Every write to sales.orders or
# sales.customers queues the customers it touched in analytics.customer_changes (statement
# triggers); after a snapshot import, a sync run that wrote something and a webhook job,
# analytics_after_write queues one refresh_changed_customers job per shop, which recomputes just
# those customers, and one recalculate_inventory job (orders, products), which recomputes the
# demand of the variants of the orders written since its last run (analytics.refresh_variant_metrics).
# The daily recalculate_customer_metrics recomputes everyone and fits the models (rhythm-v1 in
# SQL; BG/NBD in Python, runner/clv_fit.py, where the shop's backtest chose it, as the job
# fit_customer_model it queues); the hourly
# dispatch_inventory_recalculation moves each shop's inventory figures to its new local day.


@app.task(name="recalculate_customer_metrics", queue="analytics", retry=RETRY)
def recalculate_customer_metrics(shop_id: int) -> Any:
    """Daily full refresh with a new model fit: analytics.refresh_customer_metrics(shop_id). Where the
    shop's backtest chose BG/NBD, its live fit follows as a job of its own (fit_customer_model): it
    reads the stored facts, so this job's lock on the shop's metrics is not held while scipy fits."""
    with transaction() as conn:
        row = conn.execute(query("tasks.refresh_customer_metrics"), {"shop_id": shop_id}).fetchone()
        choice = conn.execute(query("backtest.live_choice"), {"shop_id": shop_id}).fetchone()
    if choice is not None and choice[3]:
        defer_analytics("customer_model", shop_id)
    return row[0] if row else None


@app.task(name="fit_customer_model", queue="analytics", retry=RETRY)
def fit_customer_model(shop_id: int) -> dict[str, Any]:
    """The live BG/NBD fit of a shop whose backtest chose it (runner.backtest.fit_live_model) on the
    stored customer facts, queued by the daily recalculate_customer_metrics; one transaction."""
    from runner.backtest import fit_live_model

    with transaction() as conn:
        live = fit_live_model(conn, shop_id)
    log(logger, logging.INFO, "customer model", shop_id=shop_id, bgnbd_fitted=live.fitted, reason=live.reason)
    return {"shop_id": shop_id, "fitted": live.fitted, "reason": live.reason}


@app.task(name="refresh_changed_customers", queue="analytics", retry=RETRY)
def refresh_changed_customers(shop_id: int) -> Any:
    """Only the customers whose orders or account changed: analytics.refresh_changed_customers(shop_id)."""
    with transaction() as conn:
        row = conn.execute(query("tasks.refresh_changed_customers"), {"shop_id": shop_id}).fetchone()
    return row[0] if row else None


@app.task(name="recalculate_inventory", queue="analytics", retry=RETRY)
def recalculate_inventory(shop_id: int) -> Any:
    """analytics.refresh_variant_metrics(shop_id): the demand of the variants whose orders were
    written since the last refresh (every variant on a new local day), set-based in SQL."""
    with transaction() as conn:
        row = conn.execute(query("tasks.refresh_variant_metrics"), {"shop_id": shop_id}).fetchone()
    return row[0] if row else None


ANALYTICS_TASKS = {
    "customer_metrics": recalculate_customer_metrics,
    "customer_changes": refresh_changed_customers,
    "inventory": recalculate_inventory,
    "customer_model": fit_customer_model,
}
# the analytics each written entity feeds (analytics_after_write)
ANALYTICS_OF_ENTITY = {
    "orders": ("customer_changes", "inventory"),
    "customers": ("customer_changes",),
    "products": ("inventory",),
}


def analytics_after_write(shop_id: int, entity: str) -> None:
    """A job wrote a shop's ``entity``: queue the analytics refresh of what changed (one waiting job
    per shop and kind at most: a burst of writes costs one refresh, which finds what changed by
    itself; the customers' changes were queued in SQL with the data; their refresh re-tags them). Never
    raises: the data is committed already, and the schedules catch up on a refresh that could not
    be queued."""
    for kind in ANALYTICS_OF_ENTITY.get(entity, ()):
        try:
            defer_analytics(kind, shop_id)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            log(logger, logging.WARNING, "analytics refresh not queued", shop_id=shop_id, kind=kind, error=str(exc))


def defer_analytics(kind: str, shop_id: int) -> bool:
    """Queue one analytics job of a shop under its lock; False when one is already waiting."""
    task = ANALYTICS_TASKS[kind]
    try:
        task.configure(lock=shop_lock(shop_id, kind), queueing_lock=f"{shop_lock(shop_id, kind)}:queued").defer(
            shop_id=shop_id
        )
    except procrastinate.exceptions.AlreadyEnqueued:
        return False
    return True


@app.periodic(cron="30 3 * * *", periodic_id="customer_metrics")
@app.task(name="dispatch_customer_metrics_recalculation", queue="analytics", queueing_lock="dispatch:customer_metrics")
def dispatch_customer_metrics_recalculation(timestamp: int) -> int:
    """Daily: one customer-metrics recalculation per active shop (deduplicated per shop)."""
    return sum(defer_analytics("customer_metrics", shop_id) for shop_id in _active_shops())


@app.periodic(cron="50 * * * *", periodic_id="inventory")
@app.task(name="dispatch_inventory_recalculation", queue="analytics", queueing_lock="dispatch:inventory")
def dispatch_inventory_recalculation(timestamp: int) -> int:
    """Hourly: an inventory refresh per active shop, so that every shop's figures move to its new
    local day (a full refresh) within the hour after its midnight, also without new orders."""
    return sum(defer_analytics("inventory", shop_id) for shop_id in _active_shops())


# -- frequently bought together ----------------------------------------------------------------
# The product pair statistics that analytics.frequently_bought_together and
# analytics.customer_recommendations read: recomputed daily per shop (a whole-shop computation
# over the orders of the last analytics.recommendations_days; docs/analytics.md#recommendations).


@app.task(name="refresh_product_pairs", queue="analytics", retry=RETRY)
def refresh_product_pairs(shop_id: int) -> Any:
    """analytics.refresh_product_pairs(shop_id) with the shop's settings, set-based in SQL."""
    params = {"shop_id": shop_id, "min_support": None, "min_orders": None, "days": None}
    with transaction() as conn:
        row = conn.execute(query("recommendations.refresh_pairs"), params).fetchone()
    return {"baskets": row[1], "pairs": row[3]} if row else None


ANALYTICS_TASKS["product_pairs"] = refresh_product_pairs


@app.periodic(cron="15 4 * * *", periodic_id="product_pairs")
@app.task(name="dispatch_product_pairs_refresh", queue="analytics", queueing_lock="dispatch:product_pairs")
def dispatch_product_pairs_refresh(timestamp: int) -> int:
    """Daily (04:15, after the customer metrics): one pair refresh per active shop."""
    return sum(defer_analytics("product_pairs", shop_id) for shop_id in _active_shops())


# -- operations --------------------------------------------------------------------------------


@app.periodic(cron="5 * * * *")
@app.task(
    name="run_maintenance",
    queue="maintenance",
    lock="maintenance:partitions",
    queueing_lock="maintenance:partitions",
    retry=RETRY,
)
def run_maintenance(timestamp: int | None = None) -> Any:
    """Hourly: partition maintenance (ops.run_maintenance)."""
    with transaction() as conn:
        row = conn.execute(query("maintain.run_maintenance")).fetchone()
    return row[0] if row else None


@app.task(name="run_snapshot_job", queue="snapshots", pass_context=True)
def run_snapshot_job(context: procrastinate.JobContext, job_id: int) -> dict[str, Any]:
    """One attempt of a snapshot import (ingest.snapshot_jobs); a failure is recorded on the job
    (retry_count, last_error) and retried by the hourly retry_snapshots, not by procrastinate."""
    from runner.shoptet import entity_lock, snapshots
    from runner.shoptet.shop_client import client_for_shop

    if _pool is None:
        raise RuntimeError("runner.tasks.configure() was not called in this process")
    with _pool.connection() as conn:  # run_job commits chunk by chunk itself
        job = snapshots.get_job(conn, job_id)
        conn.commit()
        if job is None:
            return {"job_id": job_id, "outcome": "gone"}
        # the shop's entity write lock for the import: webhook drains of the entity wait meanwhile
        with (
            client_for_shop(job["shop_id"]) as client,
            entity_lock.held(conn, job["shop_id"], job["entity"], long=True),
        ):
            try:
                outcome = snapshots.run_job(conn, client, job_id)
            except snapshots.SnapshotFailed as exc:
                return {"job_id": job_id, "outcome": "failed", "error": str(exc), "retries_left": exc.retries_left}
    analytics_after_write(job["shop_id"], job["entity"])
    return outcome


def defer_snapshot_job(shop_id: int, entity: str, job_id: int) -> None:
    """Queue an attempt of a snapshot job under the shop's entity lock."""
    try:
        run_snapshot_job.configure(lock=shop_lock(shop_id, entity), queueing_lock=f"snapshot:{job_id}").defer(
            job_id=job_id
        )
    except procrastinate.exceptions.AlreadyEnqueued:
        pass


@app.periodic(cron="15 * * * *")
@app.task(
    name="retry_snapshots", queue="snapshots", lock="snapshots:retry", queueing_lock="snapshots:retry", retry=RETRY
)
def retry_snapshots(timestamp: int | None = None) -> int:
    """Hourly: failed snapshot imports due for a retry (ingest.snapshot_jobs_due_for_retry) are queued again."""
    with transaction() as conn:
        due = conn.execute(query("tasks.snapshot_jobs_due")).fetchall()
    for job_id, shop_id, entity in due:
        defer_snapshot_job(shop_id, entity, job_id)
    return len(due)


# a backup job is retried only when the database could not be reached; a failed dump or verify
# is recorded (ops.backups, ops.pgbackrest_runs) and alerts through ops.backup_status instead
BACKUP_RETRY = procrastinate.RetryStrategy(max_attempts=3, wait=300, retry_exceptions={psycopg.OperationalError})


def _embedded_cluster(cfg: Config) -> Any:
    from runner.db import embedded_cluster

    return embedded_cluster(cfg) if cfg.embedded else None


@app.periodic(cron="0 2 * * *")
@app.task(
    name="backup_database",
    queue="maintenance",
    lock="maintenance:backup",
    queueing_lock="maintenance:backup",
    retry=BACKUP_RETRY,
)
def backup_database(timestamp: int | None = None) -> dict[str, Any]:
    """Daily 02:00 UTC: `hub backup run`, then `hub backup verify` of that dump (and pgbackrest
    verify on the embedded cluster), then `hub backup prune`. Every step runs; a failed one is
    recorded where it belongs and the job then fails, naming it."""
    from runner import pitr
    from runner.backup import prune_backups, run_backup, verify_backup
    from runner.errors import HubError

    if _target is None:
        raise RuntimeError("runner.tasks.configure() was not called in this process")
    cfg = Config.from_env()
    outcome: dict[str, Any] = {}
    failures: list[str] = []
    made = run_backup(_target, cfg.backup_dir)
    outcome["run"] = made
    try:
        outcome["verify"] = verify_backup(_target, made["backup_id"])
    except HubError as exc:
        failures.append(f"verify: {exc}")
    cluster = _embedded_cluster(cfg)
    if pitr.enabled(cluster):
        try:
            outcome["pgbackrest_verify"] = pitr.verify(cluster, _target)["run_id"]
        except HubError as exc:
            failures.append(f"pgbackrest verify: {exc}")
    outcome["prune"] = prune_backups(_target, keep=cfg.backup_keep, keep_days=cfg.backup_keep_days)
    if pitr.enabled(cluster):
        pitr.archiver(cluster).expire()
    log(
        logger,
        logging.ERROR if failures else logging.INFO,
        "daily backup " + ("failed" if failures else "done"),
        backup_id=made["backup_id"],
        failures="; ".join(failures) or None,
        pruned=len(outcome["prune"]["removed"]),
    )
    if failures:
        from runner.backup import BackupError

        raise BackupError(f"daily backup {made['backup_id']}: " + "; ".join(failures))
    return outcome


def _pitr_backup(kind: str) -> dict[str, Any]:
    from runner import pitr

    if _target is None:
        raise RuntimeError("runner.tasks.configure() was not called in this process")
    cluster = _embedded_cluster(Config.from_env())
    if cluster is None:
        return {"skipped": "HUB_DATABASE_URL: the server's own backups cover point-in-time recovery"}
    from runner.pgbackrest import installed

    if installed() is None:
        return {"skipped": "pgbackrest is not installed: no WAL archiving, dumps only"}
    return pitr.backup(cluster, _target, kind)


@app.periodic(cron="30 1 * * 0")
@app.task(
    name="pitr_full_backup",
    queue="maintenance",
    lock="maintenance:pgbackrest",
    queueing_lock="maintenance:pgbackrest-full",
    retry=BACKUP_RETRY,
)
def pitr_full_backup(timestamp: int | None = None) -> dict[str, Any]:
    """Sundays 01:30 UTC: a full pgBackRest backup of the embedded cluster (point-in-time recovery)."""
    return _pitr_backup("full")


@app.periodic(cron="30 1 * * 1-6")
@app.task(
    name="pitr_incremental_backup",
    queue="maintenance",
    lock="maintenance:pgbackrest",
    queueing_lock="maintenance:pgbackrest-incr",
    retry=BACKUP_RETRY,
)
def pitr_incremental_backup(timestamp: int | None = None) -> dict[str, Any]:
    """Monday to Saturday 01:30 UTC: an incremental pgBackRest backup (a full one when none exists)."""
    return _pitr_backup("incr")


@app.periodic(cron="40 4 * * *")
@app.task(
    name="housekeeping",
    queue="maintenance",
    lock="maintenance:housekeeping",
    queueing_lock="maintenance:housekeeping",
    retry=RETRY,
)
def housekeeping(timestamp: int | None = None) -> dict[str, int]:
    """Daily: delete old webhook events, ended jobs, log rows, snapshot failures and jobs, API call
    minutes in batches, one transaction each (runner/housekeeping.py, ops.housekeeping_batch);
    logs one ops.events row with the counts. Returns rows removed per table."""
    from runner import housekeeping as hk
    from runner.db import connect

    if _target is None:
        raise RuntimeError("runner.tasks.configure() was not called in this process")
    with connect(_target, "app", autocommit=True) as conn:
        return hk.run(conn).removed


# -- marketplace feeds -------------------------------------------------------------------------
# channels.feeds_due names the feeds to rebuild: never built, older than feeds.rebuild_minutes
# (default hourly), or the catalogue was written after the build and has been quiet for
# feeds.debounce_minutes (default 5). runner/feeds/ builds, checks and publishes each
# (docs/feeds.md); an invalid build keeps the published file and is logged.


@app.periodic(cron="* * * * *", periodic_id="feeds")
@app.task(name="rebuild_feeds", queue="maintenance", lock="feeds:rebuild", queueing_lock="feeds:rebuild", retry=RETRY)
def rebuild_feeds(timestamp: int | None = None) -> list[dict[str, Any]]:
    """Every minute: rebuild the feeds that are due (runner.feeds.service.rebuild_due)."""
    from runner.feeds import service

    if _target is None:
        raise RuntimeError("runner.tasks.configure() was not called in this process")
    return service.rebuild_due(Config.from_env(), _target)


RECOVERY_LEVELS = {
    "retried": logging.WARNING,
    "cancelled": logging.WARNING,
    "failed": logging.ERROR,
    "error": logging.ERROR,
}


async def recover_stalled_jobs(
    job_app: procrastinate.App,
    *,
    seconds_since_heartbeat: float = STALLED_AFTER_SECONDS,
    max_attempts: int = MAX_ATTEMPTS,
) -> dict[str, int]:
    """Jobs left `doing` by a worker that stopped heartbeating, each on its own, in SQL
    (ops.recover_stalled_jobs): cancelled when the same work is queued again (same
    queueing_lock waiting), failed once they used max_attempts, else back to todo with backoff.
    One log line per job (what and why; also in ops.job_recoveries); returns counts per action.
    Never raises: a failure of the recovery itself is logged and counted as ``errors``."""
    counts = {"retried": 0, "failed": 0, "cancelled": 0, "errors": 0}
    try:
        rows = await job_app.job_manager.connector.execute_query_all_async(
            query("tasks.recover_stalled_jobs"), seconds=float(seconds_since_heartbeat), max_attempts=int(max_attempts)
        )
    except Exception as exc:  # noqa: BLE001 - the next run (a minute later) tries again
        counts["errors"] += 1
        log(logger, logging.ERROR, "stalled-job recovery failed", error=str(exc)[:500])
        return counts
    for row in rows:
        action = str(row["action"])
        counts["errors" if action == "error" else action] += 1
        log(
            logger,
            RECOVERY_LEVELS.get(action, logging.ERROR),
            f"stalled job {action}",
            job_id=row["job_id"],
            task=row["task_name"],
            lock=row["lock"],
            queueing_lock=row["queueing_lock"],
            attempts=row["attempts"],
            retry_at=row["retry_at"].isoformat() if row["retry_at"] else None,
            superseded_by=row["superseded_by"],
            reason=row["reason"],
        )
    return counts


@app.periodic(cron="* * * * *")
@app.task(name="retry_stalled_jobs", queue="maintenance", queueing_lock="maintenance:stalled", pass_context=True)
async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
    """Every minute: recover jobs of dead workers (see recover_stalled_jobs)."""
    return await recover_stalled_jobs(context.app, seconds_since_heartbeat=STALLED_AFTER_SECONDS)


@app.periodic(cron="25 * * * *")
@app.task(
    name="reconcile_webhooks",
    queue="maintenance",
    lock="webhooks:reconcile",
    queueing_lock="webhooks:reconcile",
    retry=RETRY,
)
def reconcile_webhooks(timestamp: int | None = None) -> dict[str, Any]:
    """Hourly: replay webhook deliveries Shoptet gave up on (or the hub never recorded) from
    GET /api/webhooks/notifications, per active shop (runner/shoptet/reconcile.py)."""
    from runner.shoptet import reconcile
    from runner.shoptet.shop_client import client_for_shop

    if _pool is None:
        raise RuntimeError("runner.tasks.configure() was not called in this process")
    outcome: dict[str, Any] = {"shops": 0, "replayed": 0, "errors": {}}
    for shop_id in _active_shops():
        try:
            with client_for_shop(shop_id) as api, _pool.connection() as conn:
                result = reconcile.reconcile_shop(conn, api, shop_id)
        except Exception as exc:  # noqa: BLE001 - one shop's trouble (e.g. a revoked token) must not stop the others
            outcome["errors"][str(shop_id)] = str(exc)[:500]
            log(logger, logging.WARNING, "webhook reconciliation failed", shop_id=shop_id, error=str(exc))
            continue
        outcome["shops"] += 1
        outcome["replayed"] += result["replayed"]
    return outcome


# -- translations ------------------------------------------------------------------------------


@app.task(name="sync_translations", queue="translations", retry=RETRY)
def sync_translations(shop_id: int) -> dict[str, Any]:
    """Push a shop's approved texts to Shoptet (runner/translations/sync.py). Deferred under the
    shop's lock ``shop:<id>:translations``; the sync also takes its own advisory lock, so a
    `hub translate sync` by hand never overlaps it. Refusals are recorded (failed), not raised."""
    from runner.db import connect
    from runner.shoptet.shop_client import client_for_shop
    from runner.translations import sync

    if _target is None:
        raise RuntimeError("runner.tasks.configure() was not called in this process")
    cfg = Config.from_env()
    with connect(_target, "app", autocommit=True) as conn, client_for_shop(shop_id, target=_target) as api:
        result = sync.sync_shop(conn, api, shop_id, publish=sync.database_publisher(_target.app, cfg.public_url))
    return result.as_dict()


def defer_translation_sync(shop_id: int) -> bool:
    """Queue a translation sync of a shop; False when one is already waiting."""
    try:
        sync_translations.configure(
            lock=shop_lock(shop_id, "translations"), queueing_lock=f"translations:{shop_id}"
        ).defer(shop_id=shop_id)
    except procrastinate.exceptions.AlreadyEnqueued:
        return False
    return True


@app.periodic(cron="*/15 * * * *", periodic_id="translations")
@app.task(name="dispatch_translation_syncs", queue="translations", queueing_lock="dispatch:translations")
def dispatch_translation_syncs(timestamp: int) -> int:
    """Every 15 minutes: a translation sync for each shop with texts to push."""
    with transaction() as conn:
        shops = [int(r[0]) for r in conn.execute(query("translations.shops_to_sync")).fetchall()]
    for shop_id in shops:
        defer_translation_sync(shop_id)
    return len(shops)


def run_worker(
    cfg: Config,
    *,
    queues: list[str] | None = None,
    concurrency: int = 1,
    polling_interval: float = 5.0,
    stalled_after: float | None = None,
    name: str | None = None,
) -> None:
    """`hub worker`: run jobs until SIGINT/SIGTERM."""
    global STALLED_AFTER_SECONDS
    if stalled_after is not None:
        STALLED_AFTER_SECONDS = stalled_after
    unknown = sorted(set(queues or ()) - set(QUEUES))
    if unknown:
        raise ValueError(f"unknown queue(s) {', '.join(unknown)}; the queues are {', '.join(QUEUES)}")
    bound = configure(target_for(cfg), pool_size=max(2, concurrency + 1))
    heartbeat = max(0.5, min(10.0, STALLED_AFTER_SECONDS / 3))

    options: WorkerOptions = {
        "concurrency": concurrency,
        "fetch_job_polling_interval": polling_interval,
        "update_heartbeat_interval": heartbeat,
        "stalled_worker_timeout": STALLED_AFTER_SECONDS,
    }
    if queues is not None:  # else every queue (procrastinate's default)
        options["queues"] = queues
    # procrastinate's WorkerOptions says name: str, but its Worker takes str | None (docstring:
    # Optional[str]); None keeps the worker unnamed, as `hub worker` without --name always was
    options["name"] = name  # type: ignore[typeddict-item]

    async def main() -> None:
        async with bound.open_async():
            await bound.run_worker_async(**options)

    # warnings, errors and job outcomes of this worker go to ops.events / ops.job_run_totals
    from runner import logs, telemetry

    logs.attach(telemetry.start(target_for(cfg).app, process="worker"), process="worker")
    log(logger, logging.INFO, "worker starting", queues=",".join(queues or QUEUES), concurrency=concurrency)
    try:
        asyncio.run(main())
    finally:
        logs.detach()
        telemetry.stop()
