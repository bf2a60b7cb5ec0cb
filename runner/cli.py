"""`hub`: the command line. Parses arguments and calls into the modules; no logic of its own."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable, Sequence

from runner import __version__
from runner.config import VARIABLES, Config, ConfigError

EPILOG_ENV = "environment:\n" + "\n".join(f"  {name:<24} {desc} (default: {default})"
                                          for name, (default, desc) in VARIABLES.items())


class CommandError(Exception):
    """A user-facing error raised by a command: printed as one line, exit status 1."""


# -- db ---------------------------------------------------------------------------------


def _cluster_or_say(cfg: Config, verb: str):  # type: ignore[no-untyped-def]
    from runner.db import embedded_cluster

    if not cfg.embedded:
        print(f"HUB_DATABASE_URL is set: the hub uses that server; `hub db {verb}` does nothing")
        return None
    return embedded_cluster(cfg)


def cmd_db_start(cfg: Config, args: argparse.Namespace) -> int:
    cluster = _cluster_or_say(cfg, "start")
    if cluster is None:
        return 0
    for line in cluster.start():
        print(line)
    print(f"connect: psql '{cluster.url()}'   (or: hub db psql)")
    return 0


def cmd_db_stop(cfg: Config, args: argparse.Namespace) -> int:
    cluster = _cluster_or_say(cfg, "stop")
    if cluster is None:
        return 0
    print(cluster.stop())
    return 0


def cmd_db_status(cfg: Config, args: argparse.Namespace) -> int:
    from runner import dbstatus

    info = dbstatus.status(cfg)
    if args.json:
        print(json.dumps(info, default=str, indent=2))
    else:
        for key, value in info.items():
            print(f"{key:<20} {value}")
    return 0 if info.get("reachable") else 3


def cmd_db_url(cfg: Config, args: argparse.Namespace) -> int:
    from runner.db import embedded_cluster, EMBEDDED_USERS, target_for

    if cfg.embedded:
        print(embedded_cluster(cfg).url(EMBEDDED_USERS[args.role]))
    else:
        target = target_for(cfg)
        print(target.conninfo(args.role))
    return 0


def cmd_db_psql(cfg: Config, args: argparse.Namespace) -> int:
    from runner.cluster import PG_BIN
    from runner.db import target_for

    psql = str(PG_BIN / "psql") if (PG_BIN / "psql").exists() else "psql"
    argv = [psql, target_for(cfg).conninfo(args.role), *args.psql_args]
    os.execvp(psql, argv)
    return 0  # not reached


def cmd_db_migrate(cfg: Config, args: argparse.Namespace) -> int:
    from runner import migrate
    from runner.db import target_for

    target = target_for(cfg)
    if args.dry_run:
        result = migrate.dry_run(target)
        print(f"dry run on a copy of the database; the real one is untouched ({result.seconds:.2f} s)")
        print(f"would apply {len(result.applied)} migration(s)" + (":" if result.applied else ""))
        for mid in result.applied:
            print(f"  {mid}")
        print(f"function files changed: {len(result.functions_changed)} of {result.functions_loaded}")
        for rel in result.functions_changed:
            print(f"  {rel}")
        print(f"catalog changes: {len(result.catalog_changes)}")
        for change, kind, ident in result.catalog_changes:
            print(f"  {change} {kind} {ident}")
        for note in result.notes:
            print(f"note: {note}")
        return 0
    result = migrate.migrate(target)
    if result.nothing_to_do:
        print(f"nothing to apply: database is current ({result.functions_loaded} function files re-loaded, "
              f"none changed; {result.seconds:.2f} s)")
    else:
        print(f"applied {len(result.applied)} migration(s), {len(result.functions_changed)} changed of "
              f"{result.functions_loaded} function files ({result.seconds:.2f} s)")
        for mid in result.applied:
            print(f"  migration {mid}")
        for rel in result.functions_changed:
            print(f"  function  {rel}")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def cmd_db_maintain(cfg: Config, args: argparse.Namespace) -> int:
    from runner.db import target_for
    from runner.maintain import run_maintenance

    summary = run_maintenance(target_for(cfg))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"moved {summary['moved_from_default']} row(s) out of the default partition; "
          f"{summary['partitions_created']} partition(s) created, {summary['archived']} archived, "
          f"{summary.get('empty_future_dropped', 0)} empty one(s) after the premake window dropped; "
          f"now {summary['hot_partitions']} hot and {summary['archive_partitions']} archived partitions")
    return 0


def cmd_db_backup(cfg: Config, args: argparse.Namespace) -> int:
    from pathlib import Path

    from runner.backup import BackupError, run_backup
    from runner.db import target_for

    directory = Path(args.dir).expanduser().resolve() if args.dir else cfg.backup_dir
    try:
        done = run_backup(target_for(cfg), directory, keep=args.keep or cfg.backup_keep)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"backup {done['backup_id']}: {done['path']} ({done['size_bytes'] / 1e6:.1f} MB, verified)"
          + (f"; removed {len(done['removed'])} older" if done["removed"] else ""))
    print(f"restore into an empty database: pg_restore --no-owner -d <database> {done['path']}")
    return 0


# -- settings ------------------------------------------------------------------------------


def _settings(cfg: Config, *, need_key: bool):  # type: ignore[no-untyped-def]
    from runner.db import target_for
    from runner.secret_key import load_secret_key
    from runner.settings import Settings

    key = load_secret_key(cfg) if need_key else None
    return Settings(target_for(cfg).app, secret_key=key, ttl=cfg.settings_ttl, listen=False)


def _parse_value(raw: str, value_type: str) -> Any:
    if value_type == "text":
        return raw
    if value_type == "integer":
        try:
            return int(raw)
        except ValueError:
            raise CommandError(f"--type integer needs a whole number, got {raw!r}") from None
    if value_type == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise CommandError(f"--type boolean needs true or false, got {raw!r}")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise CommandError(f"--type json needs valid JSON: {exc}") from None


def _shop_option(shop_id: int | None) -> str:
    return f" --shop {shop_id}" if shop_id is not None else ""


def cmd_settings_get(cfg: Config, args: argparse.Namespace) -> int:
    from runner.settings import SettingIsSecret

    with _settings(cfg, need_key=args.secret) as settings:
        if args.secret:
            value = settings.get_secret(args.key, shop_id=args.shop)
        else:
            try:
                value = settings.get(args.key, shop_id=args.shop)
            except SettingIsSecret:
                raise CommandError(f"setting {args.key} is a secret: add --secret to decrypt and print it "
                                   f"(hub settings get {args.key}{_shop_option(args.shop)} --secret)") from None
    if value is None:
        print(f"setting {args.key} is not set" + (f" for shop {args.shop}" if args.shop else ""), file=sys.stderr)
        return 1
    print(value if isinstance(value, str) else json.dumps(value))
    return 0


def cmd_settings_set(cfg: Config, args: argparse.Namespace) -> int:
    raw = sys.stdin.read().rstrip("\n") if args.value == "-" else args.value
    with _settings(cfg, need_key=args.secret) as settings:
        if args.secret:
            if args.type not in (None, "text"):
                raise CommandError("a secret is always text: drop --type")
            settings.set_secret(args.key, raw, shop_id=args.shop)
        else:
            value_type = args.type or "text"
            value = _parse_value(raw, value_type)
            if value is None:
                raise CommandError(f"setting {args.key}: the value must not be null; to remove the setting run "
                                   f"hub settings delete {args.key}{_shop_option(args.shop)}")
            settings.set(args.key, value, shop_id=args.shop, value_type=value_type)
    scope = f"shop {args.shop}" if args.shop else "global"
    print(f"set {args.key} ({scope}{', secret' if args.secret else ''})")
    return 0


def cmd_settings_delete(cfg: Config, args: argparse.Namespace) -> int:
    with _settings(cfg, need_key=False) as settings:
        removed = settings.delete(args.key, shop_id=args.shop)
    scope = f"shop {args.shop}" if args.shop else "global"
    if not removed:
        print(f"setting {args.key} ({scope}) did not exist", file=sys.stderr)
        return 1
    print(f"deleted {args.key} ({scope})")
    return 0


def cmd_settings_list(cfg: Config, args: argparse.Namespace) -> int:
    with _settings(cfg, need_key=False) as settings:
        rows = settings.list(shop_id=args.shop, secrets_only=args.secret)
    if args.json:
        print(json.dumps(rows, default=str, indent=2))
        return 0
    if not rows:
        print("no settings")
        return 0
    print(f"{'shop':<10} {'key':<40} {'type':<8} value")
    for r in rows:
        print(f"{str(r['shop_id'] or 'global'):<10} {r['key']:<40} {r['value_type']:<8} {r['value']}")
    return 0


# -- bench ----------------------------------------------------------------------------------


def cmd_bench_settings(cfg: Config, args: argparse.Namespace) -> int:
    from bench import settings_bench

    return settings_bench.main(cfg, iterations=args.iterations, record_results=not args.no_record)


def cmd_bench_client(cfg: Config, args: argparse.Namespace) -> int:
    from bench import client_bench

    return client_bench.run(cfg, requests=args.requests, threads=args.threads, rounds=args.rounds,
                            latency_ms=args.latency_ms, record_results=not args.no_record)


def cmd_bench_webhooks(cfg: Config, args: argparse.Namespace) -> int:
    from bench import webhook_bench

    return webhook_bench.run(cfg, events=args.events, connections=args.connections,
                             generator_procs=args.generator_procs, server_workers=args.server_workers,
                             busy_workers=args.busy_workers, record_results=not args.no_record)


def cmd_bench_e2e(cfg: Config, args: argparse.Namespace) -> int:
    from bench import e2e_bench

    return e2e_bench.run(cfg, events=args.events, record_results=not args.no_record)


def cmd_bench_generate(cfg: Config, args: argparse.Namespace) -> int:
    from bench import generate
    from bench.stats import record
    from runner.db import target_for

    try:
        report = generate.generate(target_for(cfg), scale=args.scale, seed=args.seed, parallel=args.parallel)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    lines = report.lines()
    print("\n".join(lines))
    if not args.no_record:
        record("Data generator", f"hub bench generate --scale {args.scale} --seed {args.seed}"
               + (f" --parallel {args.parallel}" if args.parallel else ""), lines)
    return 0


def cmd_bench_import(cfg: Config, args: argparse.Namespace) -> int:
    from bench import import_bench

    return import_bench.run(cfg, scale=args.scale, record_results=not args.no_record)


def cmd_bench_queries(cfg: Config, args: argparse.Namespace) -> int:
    from bench import query_bench
    from runner.db import target_for

    try:
        return query_bench.run(target_for(cfg), samples=args.samples, seed=args.seed,
                               record_results=not args.no_record)
    except RuntimeError as exc:
        raise CommandError(str(exc)) from None


# -- serve / worker -------------------------------------------------------------------------


def cmd_serve(cfg: Config, args: argparse.Namespace) -> int:
    from runner import web

    web.serve(cfg, host=args.host, port=args.port, workers=args.workers)
    return 0


def cmd_worker(cfg: Config, args: argparse.Namespace) -> int:
    from runner import tasks

    queues = [q.strip() for q in args.queues.split(",") if q.strip()] if args.queues else None
    try:
        tasks.run_worker(cfg, queues=queues, concurrency=args.concurrency, polling_interval=args.polling_interval,
                         stalled_after=args.stalled_after, name=args.name)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return 0


# -- sync ------------------------------------------------------------------------------------


def cmd_sync(cfg: Config, args: argparse.Namespace) -> int:
    import psycopg

    from runner.db import target_for
    from runner.shoptet import sync
    from runner.shoptet.shops import ShopError, client_for_shop
    from runner.tasks import procrastinate_conninfo

    entities = ["orders", "customers", "products"] if args.entity == "all" else [args.entity]
    target = target_for(cfg)
    try:
        client = client_for_shop(args.shop, cfg=cfg, target=target)
    except ShopError as exc:
        raise CommandError(str(exc)) from None
    status = 0
    with client, psycopg.connect(procrastinate_conninfo(target.app)) as conn:
        for entity in entities:
            try:
                summary = sync.sync_entity(conn, client, args.shop, entity)
            except sync.SyncBusy as exc:
                print(f"shop {args.shop} {entity}: skipped, {exc}")
                status = 1
                continue
            except Exception as exc:  # noqa: BLE001 - reported per entity; recorded in ingest.sync_cursors
                print(f"shop {args.shop} {entity}: FAILED: {exc}", file=sys.stderr)
                status = 1
                continue
            print(json.dumps(summary, default=str) if args.json else sync.describe(summary), flush=True)
    return status


# -- shops ----------------------------------------------------------------------------------


def cmd_shop_add(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import shops

    token = args.token or os.environ.get("HUB_SHOPTET_TOKEN") or ""
    if not token.strip():
        raise CommandError("give the shop's private API token with --token (or HUB_SHOPTET_TOKEN)")
    added = shops.add_shop(cfg, token.strip(), api_url=args.api_url, name=args.name, master=args.master,
                           master_shop_id=args.master_shop, register_webhooks=not args.no_webhooks)
    print(f"connected shop {added.shop_id} ({added.name}); token stored encrypted; time zone {added.timezone}")
    if added.webhooks:
        print(f"webhooks -> {cfg.public_url}/webhooks/shoptet: {', '.join(added.webhooks)}; signature key stored")
    if added.webhook_error:
        print(f"warning: webhooks not registered: {added.webhook_error}\n"
              "  snapshots need the job:finished webhook; fix the cause and run `hub shop add` again",
              file=sys.stderr)
        return 1
    print(f"next: hub snapshot import --shop {added.shop_id}")
    return 0


def cmd_shop_list(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import shops

    rows = shops.list_shops(cfg)
    if args.json:
        print(json.dumps(rows, default=str, indent=2))
        return 0
    if not rows:
        print("no shops: connect one with `hub shop add --token ...`")
        return 0
    print(f"{'shop':<10} {'name':<28} {'role':<14} {'status':<12} {'orders':>9} {'customers':>10} {'variants':>9}  last import")
    for r in rows:
        role = "master" if r["is_master"] else (f"of {r['master_shop_id']}" if r["master_shop_id"] else "-")
        last = r["last_import"].strftime("%Y-%m-%d %H:%M") if r["last_import"] else "never"
        print(f"{r['shop_id']:<10} {r['name'][:28]:<28} {role:<14} {r['status']:<12} {r['orders']:>9,} "
              f"{r['customers']:>10,} {r['variants']:>9,}  {last}")
    return 0


def cmd_shop_show(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import shops

    rows = shops.list_shops(cfg, args.shop_id)
    if not rows:
        raise CommandError(f"shop {args.shop_id} does not exist (hub shop list)")
    row = rows[0]
    if args.json:
        print(json.dumps(row, default=str, indent=2))
        return 0
    for key, value in row.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        print(f"{key:<16} {shown if shown not in (None, '') else '-'}")
    return 0


def cmd_shop_refresh(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import shops

    try:
        refreshed = shops.refresh_shop(cfg, args.shop_id)
    except shops.ShopError as exc:
        raise CommandError(str(exc)) from None
    print(f"shop {refreshed['shop_id']}: time zone {refreshed['timezone']}")
    return 0


def cmd_shop_remove(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import shops

    if args.purge and not args.yes:
        raise CommandError(f"--purge deletes every order, customer and product of shop {args.shop_id}: "
                           "add --yes to confirm")
    try:
        result = shops.remove_shop(cfg, args.shop_id, purge=args.purge)
    except shops.ShopError as exc:
        raise CommandError(str(exc)) from None
    if args.purge:
        deleted = sum(int(v) for v in result["purged"].values())
        print(f"shop {args.shop_id} purged: {deleted:,} rows deleted")
    else:
        print(f"shop {args.shop_id} disconnected: credentials forgotten, data kept (status uninstalled)")
    return 0


# -- snapshots ------------------------------------------------------------------------------


def _snapshot_entities(entity: str) -> list[str]:
    return ["customers", "products", "orders"] if entity == "all" else [entity]


def _run_snapshot(cfg: Config, shop_id: int, run: Callable[[Any, Any, Any], dict[str, Any]], quiet: bool) -> dict[str, Any]:
    import psycopg

    from runner.db import target_for
    from runner.progress import ProgressBar
    from runner.shoptet.shop_client import client_for_shop

    bar = None if quiet else ProgressBar()
    with client_for_shop(shop_id, cfg=cfg) as client, \
            psycopg.connect(target_for(cfg).conninfo("app")) as conn:
        try:
            return run(conn, client, bar)
        finally:
            if bar:
                bar.done()


def _print_outcome(entity: str, outcome: dict[str, Any]) -> None:
    extra = f", {outcome['failed']:,} bad line(s)" if outcome.get("failed") else ""
    extra += f", {outcome['warnings']:,} field warning(s)" if outcome.get("warnings") else ""
    extra += f": hub snapshot show {outcome['job_id']}" if extra else ""
    deleted = f", {outcome['deleted']:,} gone at the source marked deleted" if outcome.get("deleted") else ""
    if outcome.get("unchanged"):
        deleted += f", {outcome['unchanged']:,} already held in that version (skipped)"
    resumed = (f", download resumed {outcome['downloads'] - 1} time(s)" if (outcome.get("downloads") or 0) > 1
               else "")
    rate = outcome["lines"] / outcome["seconds"] if outcome.get("seconds") else 0
    print(f"{entity:<9} job {outcome['job_id']}: {outcome['status']}, {outcome['lines']:,} lines in "
          f"{outcome['seconds']:.1f} s ({rate:,.0f}/s){extra}{deleted}{resumed}")


def cmd_snapshot_import(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import snapshots
    from runner.shoptet.shops import ShopError

    options = snapshots.Options(deadline_seconds=args.deadline * 60, chunk_lines=args.chunk_lines,
                                compare_all=args.compare_all)
    failed = 0
    for entity in _snapshot_entities(args.entity):
        try:
            outcome = _run_snapshot(cfg, args.shop, lambda conn, client, bar, e=entity: snapshots.import_snapshot(
                conn, client, args.shop, e, progress=bar, options=options), args.quiet)
        except snapshots.SnapshotFailed as exc:
            failed += 1
            retry = (f"retried hourly by the workers ({exc.retries_left} left), or now: hub snapshot retry {exc.job_id}"
                     if exc.retries_left else f"no automatic retries left: hub snapshot retry {exc.job_id}")
            print(f"{entity:<9} job {exc.job_id}: failed: {exc}\n          {retry}", file=sys.stderr)
            continue
        except ShopError as exc:
            raise CommandError(str(exc)) from None
        _print_outcome(entity, outcome)
    return 1 if failed else 0


def cmd_snapshot_list(cfg: Config, args: argparse.Namespace) -> int:
    import psycopg

    from psycopg.rows import dict_row

    from runner.db import target_for
    from runner.queries import query

    with psycopg.connect(target_for(cfg).conninfo("app"), autocommit=True) as conn:
        rows = conn.cursor(row_factory=dict_row).execute(
            query("snapshot_jobs_list"), {"shop_id": args.shop, "limit": args.limit}).fetchall()
    if args.json:
        print(json.dumps(rows, default=str, indent=2))
        return 0
    if not rows:
        print("no snapshot jobs")
        return 0
    print(f"{'id':>6} {'shop':<9} {'entity':<10} {'status':<22} {'retries':<8} {'lines':>10} {'bad':>6} {'warn':>6} "
          f"{'%':>6}  requested")
    for r in rows:
        print(f"{r['id']:>6} {r['shop_id']:<9} {r['entity']:<10} {r['status']:<22} "
              f"{r['retry_count']}/{r['max_retries']:<6} {r['processed_count']:>10,} {r['failed_count']:>6,} "
              f"{r['warning_count']:>6,} {float(r['progress_percentage']):>6.1f}  {r['requested_at']:%Y-%m-%d %H:%M}")
        if r["last_error"] and r["status"] in ("failed", "retrying"):
            print(f"{'':>6} {r['last_error'][:150]}")
    return 0


def cmd_snapshot_show(cfg: Config, args: argparse.Namespace) -> int:
    import psycopg

    from runner.db import target_for
    from runner.queries import query
    from runner.shoptet import snapshots

    with psycopg.connect(target_for(cfg).conninfo("app"), autocommit=True) as conn:
        job = snapshots.get_job(conn, args.job_id)
        if job is None:
            raise CommandError(f"snapshot job {args.job_id} does not exist (hub snapshot list)")
        failures = conn.execute(query("snapshot_failures_of_job"), (200, args.job_id, args.failures)).fetchall()
        warnings = conn.execute(query("snapshot_warnings_of_job"), (args.job_id, args.failures)).fetchall()
    if args.json:
        job["failures"] = [{"line_no": f[0], "error": f[1], "raw_line": f[2]} for f in failures]
        job["warnings"] = [{"line_no": w[0], "field": w[1], "warning": w[2]} for w in warnings]
        print(json.dumps(job, default=str, indent=2))
        return 0
    for key, value in job.items():
        print(f"{key:<20} {value if value not in (None, '') else '-'}")
    if failures:
        print(f"\nbad lines, not imported (first {len(failures)} of {job['failed_count']:,}):")
        for line_no, error, raw in failures:
            print(f"  line {line_no}: {error}\n      {raw!s:.150}")
    if warnings:
        print(f"\nwarnings, lines imported without the field (first {len(warnings)} of {job['warning_count']:,}):")
        for line_no, field_name, warning in warnings:
            print(f"  line {line_no} {field_name}: {warning}")
    return 0


def cmd_snapshot_retry(cfg: Config, args: argparse.Namespace) -> int:
    import psycopg

    from runner.db import target_for
    from runner.queries import query
    from runner.shoptet import snapshots

    with psycopg.connect(target_for(cfg).conninfo("app"), autocommit=True) as conn:
        job = snapshots.get_job(conn, args.job_id)
        if job is None:
            raise CommandError(f"snapshot job {args.job_id} does not exist (hub snapshot list)")
        if conn.execute(query("snapshot_job_reset_retries"), (args.job_id,)).fetchone() is None:
            raise CommandError(f"snapshot job {args.job_id} is {job['status']}: only failed, retrying or "
                               "completed_with_errors jobs are retried")
    print(f"snapshot job {args.job_id}: retry budget reset (0/{job['max_retries']}), running it now")
    options = snapshots.Options(deadline_seconds=args.deadline * 60)
    try:
        outcome = _run_snapshot(cfg, job["shop_id"], lambda conn, client, bar: snapshots.run_job(
            conn, client, args.job_id, progress=bar, options=options), args.quiet)
    except snapshots.SnapshotFailed as exc:
        print(f"{job['entity']:<9} job {exc.job_id}: failed again: {exc}", file=sys.stderr)
        return 1
    _print_outcome(job["entity"], outcome)
    return 0


# -- sandbox ---------------------------------------------------------------------------------


def cmd_sandbox_serve(cfg: Config, args: argparse.Namespace) -> int:
    from runner.sandbox import Sandbox

    shops = [int(s) for s in args.shops.split(",") if s.strip()] if args.shops else [900101]
    timezones: dict[int, str | None] = {}
    for spec in args.timezone or []:
        eshop, sep, zone = spec.partition("=")
        if not sep or not eshop.strip().isdigit():
            raise CommandError(f"--timezone {spec!r}: expected ESHOPID=ZONE, e.g. 900102=Europe/Bucharest")
        if int(eshop) not in shops:
            raise CommandError(f"--timezone {spec!r}: shop {eshop} is not served (--shops)")
        timezones[int(eshop)] = zone.strip() or None
    sandbox = Sandbox(scale=args.scale, seed=args.seed, shops=shops, data_dir=args.data_dir,
                      job_seconds=args.job_seconds, timezones=timezones)
    if args.port == 0:  # a free port, chosen now so that it can be printed
        import socket

        with socket.socket() as probe:
            probe.bind((args.host, 0))
            args.port = int(probe.getsockname()[1])
    if args.odd_inputs:
        for shop_id in sandbox.shops:
            sandbox.put_odd_inputs(shop_id)
    base = f"http://{args.host}:{args.port}"
    print(f"Shoptet sandbox on {base}  (scale {args.scale}, seed {args.seed}, data {args.data_dir})"
          + ("  with the odd inputs of docs/data-quality.md" if args.odd_inputs else ""))
    for shop in sandbox.shops.values():
        print(f"  shop {shop.eshop_id} ({shop.name}): Shoptet-Private-API-Token: {shop.private_token}  "
              f"(OAuth code: sandbox-code-{shop.eshop_id})")
    print(f"  use: HUB_SHOPTET_API_URL={base}   control: {base}/_sandbox/shops   stop with Ctrl-C", flush=True)
    sandbox.serve(host=args.host, port=args.port)
    return 0


# -- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="hub",
        description="Shoptet Hub: a PostgreSQL-first commerce hub for Shoptet e-shops.",
        epilog=EPILOG_ENV,
        formatter_class=fmt,
    )
    parser.add_argument("--version", action="version", version=f"hub {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    # db
    db = sub.add_parser("db", help="the database: embedded cluster, migrations, psql",
                        description="Manage the hub's database. Without HUB_DATABASE_URL the hub runs its own "
                                    "PostgreSQL 15 cluster under HUB_HOME (default ./.hub).",
                        epilog=EPILOG_ENV, formatter_class=fmt)
    dbs = db.add_subparsers(dest="db_command", metavar="SUBCOMMAND", required=True)
    p = dbs.add_parser("start", help="create (first time) and start the embedded cluster",
                       description="Create the embedded cluster on first use (initdb, database 'hub') and start it "
                                   "on a unix socket in HUB_HOME and on 127.0.0.1:HUB_DB_PORT. As root the server "
                                   "runs as the 'postgres' OS user. Does nothing when HUB_DATABASE_URL is set.")
    p.set_defaults(func=cmd_db_start)
    p = dbs.add_parser("stop", help="stop the embedded cluster (fast shutdown)",
                       description="Stop the embedded cluster (pg_ctl stop -m fast). Does nothing when HUB_DATABASE_URL is set.")
    p.set_defaults(func=cmd_db_stop)
    p = dbs.add_parser("status", help="is the database up, where, which migrations are pending",
                       description="Report whether the database is reachable, where it is, and pending migrations. "
                                   "Exit status 0 when reachable, 3 when not.")
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.set_defaults(func=cmd_db_status)
    role_help = "connect as: admin (superuser, default), app (hub_app) or readonly (hub_readonly)"
    p = dbs.add_parser("url", help="print the connection URL (for psql and other tools)",
                       description="Print a libpq connection URL of the database for the chosen role.")
    p.add_argument("--role", choices=("admin", "app", "readonly"), default="admin", help=role_help)
    p.set_defaults(func=cmd_db_url)
    p = dbs.add_parser("psql", help="open psql on the database",
                       description="Run psql connected to the hub database; arguments after -- go to psql.")
    p.add_argument("--role", choices=("admin", "app", "readonly"), default="admin", help=role_help)
    p.add_argument("psql_args", nargs=argparse.REMAINDER, help="arguments for psql (after --)")
    p.set_defaults(func=cmd_db_psql)
    p = dbs.add_parser("migrate", help="apply pending migrations and re-load every function file",
                       description="Apply db/migrations/ with yoyo, then re-load every file of db/functions/ "
                                   "(order: core, ingest, sales, catalog, analytics, ops, archive, then others; "
                                   "files by name), all in one transaction: an error names file and line and "
                                   "leaves the database unchanged.")
    p.add_argument("--dry-run", action="store_true",
                   help="migrate a throw-away copy (CREATE DATABASE ... TEMPLATE) and report what would change")
    p.set_defaults(func=cmd_db_migrate)
    p = dbs.add_parser("maintain", help="partition maintenance now: premake, empty the default, retention to archive",
                       description="Run ops.run_maintenance(): move rows out of the default partition of "
                                   "sales.order_items, make quarterly partitions ahead, detach quarters older "
                                   "than 2 years into schema archive (attached to archive.order_items, queryable "
                                   "through sales.order_items_all). Idempotent; the workers run it hourly.")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_db_maintain)

    # settings
    p = dbs.add_parser("backup", help="pg_dump the hub database now, verify it, keep the newest N",
                       description="Dump the hub database (pg_dump custom format) into HUB_BACKUP_DIR, verify the "
                                   "file reads back (pg_restore --list), record it in ops.backups and delete "
                                   "completed backups beyond the newest HUB_BACKUP_KEEP. The workers run it daily "
                                   "at 02:00 UTC.", epilog=EPILOG_ENV, formatter_class=fmt)
    p.add_argument("--dir", help="directory for the dump (default HUB_BACKUP_DIR)")
    p.add_argument("--keep", type=int, help="completed backups to keep (default HUB_BACKUP_KEEP)")
    p.set_defaults(func=cmd_db_backup)

    st = sub.add_parser("settings", help="typed global and per-shop settings, encrypted secrets",
                        description="Read and change settings in core.settings. Secrets are encrypted with "
                                    "HUB_SECRET_KEY (or the generated HUB_HOME/secret.key).",
                        epilog=EPILOG_ENV, formatter_class=fmt)
    sts = st.add_subparsers(dest="settings_command", metavar="SUBCOMMAND", required=True)
    shop_help = "the shop (Shoptet eshopId); without it, the global setting"
    p = sts.add_parser("get", help="print a setting's value (a shop's own value, else the global one)",
                       description="Print a setting's value; exit status 1 when it is not set.")
    p.add_argument("key", help="setting key, e.g. sync.orders.interval")
    p.add_argument("--shop", type=int, metavar="N", help=shop_help)
    p.add_argument("--secret", action="store_true", help="the setting is a secret: decrypt and print it")
    p.set_defaults(func=cmd_settings_get)
    p = sts.add_parser("set", help="create or replace a setting",
                       description="Create or replace a setting. VALUE '-' reads it from standard input "
                                   "(keeps secrets out of shell history).")
    p.add_argument("key", help="setting key: lower case letters, digits and _ . : -")
    p.add_argument("value", help="the value, or - to read it from standard input")
    p.add_argument("--shop", type=int, metavar="N", help=shop_help)
    p.add_argument("--type", choices=("text", "integer", "boolean", "json"), help="value type (default text)")
    p.add_argument("--secret", action="store_true", help="store the value encrypted (always text)")
    p.set_defaults(func=cmd_settings_set)
    p = sts.add_parser("delete", help="remove a setting", description="Remove a setting; exit status 1 when it did not exist.")
    p.add_argument("key", help="setting key")
    p.add_argument("--shop", type=int, metavar="N", help=shop_help)
    p.set_defaults(func=cmd_settings_delete)
    p = sts.add_parser("list", help="list settings, secrets masked",
                       description="List settings with secrets shown as ********.")
    p.add_argument("--shop", type=int, metavar="N", help="only this shop's settings and the global ones")
    p.add_argument("--secret", action="store_true", help="only secret settings (still masked)")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_settings_list)

    # bench
    bn = sub.add_parser("bench", help="benchmarks (make bench runs them all)",
                        description="Benchmarks; each prints its figures and appends them to bench/RESULTS.md. "
                                    "`generate` makes the commerce data (scale 1 = the seeds' production size) "
                                    "that `queries` measures; `make bench` runs all of them (BENCH_SCALE, default 0.1).",
                        epilog=EPILOG_ENV, formatter_class=fmt)
    bns = bn.add_subparsers(dest="bench_command", metavar="SUBCOMMAND", required=True)
    p = bns.add_parser("settings", help="cached vs uncached settings reads, change propagation between processes",
                       description="Measure a cached settings read, an uncached SQL read, and the time until a "
                                   "change made by one process is seen by another; print p50/p95.")
    p.add_argument("--iterations", type=int, default=2000, help="reads per measurement (default 2000)")
    p.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    p.set_defaults(func=cmd_bench_settings)
    p = bns.add_parser("client", help="Shoptet client requests/s with the token's slots in the database vs in-process",
                       description="Against a sandbox Shoptet in this process: requests/s of one client whose 3 "
                                   "request slots per token are advisory locks in the hub database (they hold "
                                   "across processes) and of one with the in-process semaphore only.")
    p.add_argument("--requests", type=int, default=400, help="GET requests per round (default 400)")
    p.add_argument("--threads", type=int, default=3, help="threads sharing the client (default 3)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of each variant, alternating (default 3)")
    p.add_argument("--latency-ms", type=int, default=0, help="the sandbox answers after this long (default 0)")
    p.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    p.set_defaults(func=cmd_bench_client)
    p = bns.add_parser("webhooks", help="signed webhook load against `hub serve`: accepted/s, latency, durability",
                       description="Start `hub serve` on a free local port, send distinct signed order:update "
                                   "events (asyncio + httpx), report accepted events/s and p50/p95/p99, and check "
                                   "that every 200 is a committed row. Cleans up its bench shop's rows.")
    p.add_argument("--events", type=int, default=20000, help="events to send (default 20000)")
    p.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections (default 8)")
    p.add_argument("--generator-procs", type=int, default=1, help="load generator processes (default 1)")
    p.add_argument("--server-workers", type=int, default=1, help="`hub serve --workers` (default 1)")
    p.add_argument("--busy-workers", type=int, default=0,
                   help="`hub worker` processes working the queue during the load (default 0)")
    p.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    p.set_defaults(func=cmd_bench_webhooks)
    p = bns.add_parser("e2e", help="order:update webhook -> updated row in sales.orders, through hub serve and "
                                   "hub worker against the sandbox",
                       description="End to end: signed order:update webhooks, one at a time, to `hub serve`; a "
                                   "`hub worker` fetches each order from a sandbox Shoptet and upserts it. Times the "
                                   "POST -> updated sales.orders row. Target p95 <= 2 s. The bench shop is purged.")
    p.add_argument("--events", type=int, default=50, help="webhooks to deliver (default 50)")
    p.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    p.set_defaults(func=cmd_bench_e2e)
    p = bns.add_parser("generate", help="production-shaped commerce data at a scale (1.0 = 1.4 M orders, 8.2 M lines)",
                       description="Generate deterministic, production-shaped data server-side in SQL "
                                   "(bench/generate.sql) for the bench shops 900001 (master), 900002 and 900003, "
                                   "created in core.shops when absent; their earlier rows are removed first. "
                                   "Scale 1.0 is the seeds' size: 1.4 M orders (about a third guest orders, "
                                   "December peak, statuses with cancellations, CZK and EUR) over the last 3 "
                                   "years, ~5.9 lines per order (product, shipping, billing, discount-coupon; "
                                   "quarters older than 2 years go into archive.order_items), 661 k customers "
                                   "(Pareto-distributed orders per customer), 13 k variants. Then ANALYZE and "
                                   "analytics.refresh_customer_metrics. Prints rows/s per table. Connects as admin.")
    p.add_argument("--scale", type=float, default=1.0, help="size relative to the seeds' production data (default 1.0)")
    p.add_argument("--seed", type=int, default=42, help="the same seed gives the same rows (default 42)")
    p.add_argument("--parallel", type=int, default=None,
                   help="connections for the big inserts (default: CPU cores, at most 4)")
    p.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    p.set_defaults(func=cmd_bench_generate)
    p = bns.add_parser("queries", help="p50/p95/p99 of the listing and lookup functions on generated data",
                       description="On data made by `hub bench generate`: order history page of 50, e-mail "
                                   "lookup (messed-up case and spaces), orders by status in a date range, order "
                                   "lines by type in a quarter, top customers by spend, each with random "
                                   "parameters drawn from the data; prints p50/p95/p99 and checks with EXPLAIN "
                                   "(format json) that a one-quarter order-lines query reads one partition.")
    p.add_argument("--samples", type=int, default=2000, help="calls per query (default 2000)")
    p.add_argument("--seed", type=int, default=1, help="seed of the random parameters (default 1)")
    p.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    p.set_defaults(func=cmd_bench_queries)
    p = bns.add_parser("import", help="snapshot import from the sandbox vs gunzip+parse and plain COPY baselines",
                       description="Import a sandbox shop of --scale (1.0 = 1.4 M orders, 661 k customers) with "
                                   "`hub snapshot import` over HTTP, then measure the two baselines on the same "
                                   "files and rows: (a) gunzip + orjson parse alone, (b) plain COPY into the same "
                                   "tables. Prints import / (a + b) (target <= 2) and the importer's peak RSS. "
                                   "Then imports the same unchanged files again on the populated database: it must "
                                   "write nothing and should cost at most 1.5 x (a). "
                                   "The sandbox's files are cached under HUB_HOME/sandbox.")
    p.add_argument("--scale", type=float, default=0.1, help="data size, 1.0 = the seeds' size (default 0.1)")
    p.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    p.set_defaults(func=cmd_bench_import)

    # shop
    sh = sub.add_parser("shop", help="connected Shoptet e-shops: add, list, show, remove",
                        description="Connect Shoptet e-shops. `add` takes a private API token (Premium); addon "
                                    "shops arrive through the install callback of `hub serve`.",
                        epilog=EPILOG_ENV, formatter_class=fmt)
    shs = sh.add_subparsers(dest="shop_command", metavar="SUBCOMMAND", required=True)
    p = shs.add_parser("add", help="connect a shop with its private API token",
                       description="Ask GET /api/eshop who the token belongs to (eshopId), store the token "
                                   "encrypted, register the webhooks the hub needs (job:finished, order/customer/"
                                   "product create-update-delete) at HUB_PUBLIC_URL/webhooks/shoptet and store "
                                   "the new signature key. Running it again updates the shop and its webhooks.",
                       epilog=EPILOG_ENV, formatter_class=fmt)
    p.add_argument("--token", help="the shop's private API token (Shoptet-Private-API-Token); "
                                   "or set HUB_SHOPTET_TOKEN to keep it out of the shell history")
    p.add_argument("--api-url", help="Shoptet API base URL for this shop (default HUB_SHOPTET_API_URL)")
    p.add_argument("--name", help="name shown in the hub (default: the e-shop's name)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--master", action="store_true", help="this shop owns the catalogue (at most one master)")
    group.add_argument("--master-shop", type=int, metavar="ID", help="the master shop whose catalogue this one overlays")
    p.add_argument("--no-webhooks", action="store_true", help="do not register webhooks (snapshots then fail with 403)")
    p.set_defaults(func=cmd_shop_add)
    p = shs.add_parser("list", help="every shop with its status and row counts", description="List connected shops.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_shop_list)
    p = shs.add_parser("show", help="one shop: role, status, credentials kinds, counts",
                       description="Show one shop (credentials are named, never shown).")
    p.add_argument("shop_id", type=int, metavar="ID", help="the shop's eshopId")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_shop_show)
    p = shs.add_parser("refresh", help="read the shop's settings (time zone) from GET /api/eshop again",
                       description="Read GET /api/eshop with the shop's stored credentials and store its "
                                   "settings.timezone in core.shops.timezone (its calendar: date-only bounds and "
                                   "per-day figures). A missing or unknown zone stores Europe/Prague with a warning. "
                                   "`hub shop add` and the addon install do the same.")
    p.add_argument("shop_id", type=int, metavar="ID", help="the shop's eshopId")
    p.set_defaults(func=cmd_shop_refresh)
    p = shs.add_parser("remove", help="disconnect a shop (data kept), or --purge it with its data",
                       description="Forget the shop's credentials and mark it uninstalled; its data stay. With "
                                   "--purge --yes delete the shop and every row of it.")
    p.add_argument("shop_id", type=int, metavar="ID", help="the shop's eshopId")
    p.add_argument("--purge", action="store_true", help="also delete all its orders, customers, catalogue, jobs")
    p.add_argument("--yes", action="store_true", help="confirm --purge")
    p.set_defaults(func=cmd_shop_remove)

    # snapshot
    sn = sub.add_parser("snapshot", help="full imports from Shoptet snapshots: import, list, show, retry",
                        description="Import whole entities from Shoptet's snapshot files (gzip JSON Lines), "
                                    "streamed into PostgreSQL in constant memory. Progress, bad lines and retries "
                                    "are kept in ingest.snapshot_jobs / ingest.snapshot_failures.",
                        epilog=EPILOG_ENV, formatter_class=fmt)
    sns = sn.add_subparsers(dest="snapshot_command", metavar="SUBCOMMAND", required=True)
    p = sns.add_parser("import", help="import a shop's orders, customers, products (or all) now",
                       description="Request the snapshot, wait for job:finished (when `hub serve` runs) or poll the "
                                   "job list with growing pauses (the job's detail only once it is finished: Shoptet refuses the 11th "
                                   "detail request of an unfinished job), stream the file into "
                                   "staging with COPY and apply it set-based chunk by chunk. Re-importing the same "
                                   "data changes nothing. Exit status 1 when an import failed.",
                       epilog=EPILOG_ENV, formatter_class=fmt)
    p.add_argument("--shop", type=int, required=True, metavar="ID", help="the shop's eshopId")
    p.add_argument("--entity", choices=("orders", "customers", "products", "all"), default="all",
                   help="what to import (default all: customers, products, orders)")
    p.add_argument("--deadline", type=float, default=190, metavar="MINUTES",
                   help="give up waiting for Shoptet's file after this long (default 190; Shoptet fails jobs "
                        "after 3 hours)")
    p.add_argument("--chunk-lines", type=int, metavar="N",
                   help="lines applied per transaction (default: orders 500, customers 2000, products 500)")
    p.add_argument("--compare-all", action="store_true",
                   help="stage and compare every line, also orders and customers the hub already holds with the "
                        "same changeTime (skipped by default: e.g. after an upgrade that reads documents differently)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_snapshot_import)
    p = sns.add_parser("list", help="recent snapshot jobs with status, progress, retries, bad lines, warnings",
                       description="List snapshot jobs, newest first.")
    p.add_argument("--shop", type=int, metavar="ID", help="only this shop")
    p.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_snapshot_list)
    p = sns.add_parser("show", help="one job: timings, counts, last error, its bad lines and warnings",
                       description="Show a snapshot job, the first of its bad lines (not imported) and the first "
                                   "of its field-level warnings (lines imported with that field left out).")
    p.add_argument("job_id", type=int, metavar="ID", help="the job's id (hub snapshot list)")
    p.add_argument("--failures", type=int, default=20, metavar="N",
                   help="bad lines, and warnings, to show (default 20 each)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_snapshot_show)
    p = sns.add_parser("retry", help="reset a failed job's retry budget and run it now",
                       description="Retry a failed (or completed_with_errors) job now, with a fresh budget of "
                                   "max_retries automatic retries.")
    p.add_argument("job_id", type=int, metavar="ID", help="the job's id (hub snapshot list)")
    p.add_argument("--deadline", type=float, default=190, metavar="MINUTES",
                   help="give up waiting for Shoptet's file after this long (default 190)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_snapshot_retry)

    # sandbox
    sb = sub.add_parser("sandbox", help="a local fake Shoptet API with generated data (demo, tests, benchmarks)",
                        description="A local fake Shoptet API faithful to the real one: envelope, paging, tokens, "
                                    "rate limits, snapshot jobs (gzip JSON Lines), signed webhooks, fault switches "
                                    "under /_sandbox/.", epilog=EPILOG_ENV, formatter_class=fmt)
    sbs = sb.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND", required=True)
    p = sbs.add_parser("serve", help="run the sandbox until Ctrl-C; prints its URL, shop ids and tokens",
                       description="Serve the sandbox API, its OAuth server and result files on one port. Data are "
                                   "generated from (--seed, --scale): scale 1.0 is 1.4 M orders, 661 k customers, "
                                   "13 k variants per shop. Unmutated snapshot files are cached under --data-dir.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8900, help="port to bind (default 8900)")
    p.add_argument("--scale", type=float, default=0.01, help="data size, 1.0 = seeds size (default 0.01)")
    p.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    p.add_argument("--shops", metavar="ID,ID", help="eshopIds to serve (default 900101)")
    p.add_argument("--data-dir", default=".hub/sandbox", help="cache of snapshot files (default .hub/sandbox)")
    p.add_argument("--job-seconds", type=float, default=1.0,
                   help="how long a snapshot job takes at least, pending then running (default 1)")
    p.add_argument("--odd-inputs", action="store_true",
                   help="add odd-but-valid documents real shops send (e-mails with spaces, upper-case or empty "
                        "GUIDs, a year 2206, code E-2025-00488; see docs/data-quality.md) to every shop")
    p.add_argument("--timezone", action="append", metavar="ESHOPID=ZONE",
                   help="the settings.timezone GET /api/eshop serves for a shop (default Europe/Prague; empty: left "
                        "out; repeat per shop), e.g. 900102=Europe/Budapest")
    p.set_defaults(func=cmd_sandbox_serve)

    # sync
    p = sub.add_parser("sync", help="incremental sync of a shop now: Shoptet's change lists since the cursor",
                       description="Read /api/{entity}/changes from the shop's cursor (minus a 10-minute overlap), "
                                   "fetch and upsert what changed, soft-delete what was deleted, move the cursor "
                                   "with each batch. Without a cursor: from the newest stored change, else now. "
                                   "A cursor older than 29 days imports a snapshot instead. Prints what it did.",
                       epilog=EPILOG_ENV, formatter_class=fmt)
    p.add_argument("--shop", type=int, required=True, metavar="ID", help="the shop's eshopId")
    p.add_argument("--entity", choices=["orders", "customers", "products", "all"], default="all",
                   help="what to sync (default all)")
    p.add_argument("--json", action="store_true", help="one JSON object per entity")
    p.set_defaults(func=cmd_sync)

    # serve / worker
    p = sub.add_parser("serve", help="the web app: Shoptet webhooks, addon install callback, /healthz",
                       description="Run the web app (starlette on uvicorn): POST /webhooks/shoptet, "
                                   "GET /shoptet/install, GET /healthz.", epilog=EPILOG_ENV, formatter_class=fmt)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("worker", help="run jobs: webhook follow-ups, syncs, analytics, maintenance",
                       description="Run a procrastinate worker until SIGINT/SIGTERM. Queues: webhooks, orders, "
                                   "customers, products, snapshots, analytics, maintenance. Periodic jobs (the "
                                   "schedule in runner/tasks.py) are deferred by running workers.",
                       epilog=EPILOG_ENV, formatter_class=fmt)
    p.add_argument("--queues", metavar="Q1,Q2", help="comma-separated queues to serve (default: all)")
    p.add_argument("--concurrency", type=int, default=1, help="jobs run at once by this worker (default 1)")
    p.add_argument("--polling-interval", type=float, default=5.0,
                   help="seconds between polls for jobs besides LISTEN/NOTIFY (default 5)")
    p.add_argument("--stalled-after", type=float, default=None, metavar="SECONDS",
                   help="a worker silent this long is dead and its jobs are retried (default 60)")
    p.add_argument("--name", help="worker name in logs and procrastinate_workers")
    p.set_defaults(func=cmd_worker)
    return parser


def _known_errors() -> tuple[type[BaseException], ...]:
    from runner.cluster import ClusterError
    from runner.db import DatabaseUnavailable
    from runner.migrate import MigrationError
    from runner.secret_key import SecretKeyError
    from runner.settings import SettingError
    import psycopg

    from runner.shoptet.errors import ShoptetError
    from runner.shoptet.shops import ShopError

    return (CommandError, ConfigError, ClusterError, DatabaseUnavailable, MigrationError, SecretKeyError, SettingError,
            ShoptetError, ShopError, psycopg.Error)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "psql_args", None) and args.psql_args[:1] == ["--"]:
        args.psql_args = args.psql_args[1:]
    try:
        cfg = Config.from_env()
        from runner import logs

        logs.configure(cfg)
        func: Callable[[Config, argparse.Namespace], int] = args.func
        return func(cfg, args)
    except _known_errors() as exc:
        print(f"hub: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hub: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
