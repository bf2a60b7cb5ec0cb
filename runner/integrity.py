"""`hub db check`: integrity checks that catch silent corruption, each a function of
db/functions/ops/ returning one row per problem (check_name, severity, object, detail, remedy).

``run`` calls them one after another (runner/sql/integrity.sql), amcheck index by index so that
a progress bar can follow the bytes read, each statement its own transaction (no snapshot held
for the whole run); with ``remote`` it first asks Shoptet's list endpoints for each shop's
``paginator.totalCount`` of orders, customers and products and hands them to
ops.check_remote_counts. The exit status follows `hub status` (runner/status.py): 0 no problem,
1 warnings only, 2 anything critical, 3 the database does not answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from runner.config import Config
from runner.db import Target, connect
from runner.errors import CommandError, HubError, summarize
from runner.queries import query
from runner.status import STATES, exit_status

if TYPE_CHECKING:
    import psycopg
    from rich.console import RenderableType

CHECKS: dict[str, str] = {
    "btree_index": "amcheck bt_index_check over every B-tree index",
    "orphan_order_lines": "order lines without their order",
    "default_partition": "rows in default partitions",
    "order_totals": "orders whose lines do not add up to their total",
    "premake_partitions": "partitions of the premake window",
    "remote_counts": "counts of orders, customers, products vs Shoptet (--remote)",
}
"""Check name -> what it checks, in the order they run (remote_counts only with --remote)."""


def _local_query(name: str) -> str:
    """The query of a check made in the database alone."""
    return {
        "orphan_order_lines": query("integrity.check_orphan_order_lines"),
        "default_partition": query("integrity.check_default_partitions"),
        "order_totals": query("integrity.check_order_totals"),
        "premake_partitions": query("integrity.check_premake_partitions"),
    }[name]


ENTITIES = {"orders": "/api/orders", "customers": "/api/customers", "products": "/api/products"}
"""Entity -> Shoptet list endpoint whose data.paginator.totalCount is the shop's count."""


@dataclass(frozen=True)
class Options:
    only: frozenset[str] | None = None
    skip_amcheck: bool = False
    heapallindexed: bool = False
    remote: bool = False
    shop_ids: tuple[int, ...] | None = None
    tolerance_per_line: Decimal = Decimal("0.005")


@dataclass
class Step:
    """Where the run is, for a progress display: a check started, bytes of amcheck done."""

    check: str
    done: int = 0
    total: int | None = None
    note: str = ""


Progress = Callable[[Step], None]


@dataclass
class Outcome:
    check: str
    seconds: float = 0.0
    checked: str = ""
    problems: list[dict[str, Any]] = field(default_factory=list)


def parse_only(text: str | None) -> frozenset[str] | None:
    """``--only a,b``: the named checks; an unknown name is a CommandError listing the known ones."""
    if text is None:
        return None
    names = frozenset(n.strip() for n in text.split(",") if n.strip())
    unknown = sorted(names - CHECKS.keys())
    if unknown or not names:
        raise CommandError(
            f"--only {text!r}: unknown check(s) {', '.join(unknown) or '(none named)'}; known: {', '.join(CHECKS)}"
        )
    return names


def selected(options: Options) -> list[str]:
    """The checks this run makes, in order."""
    names = []
    for name in CHECKS:
        if options.only is not None and name not in options.only:
            continue
        if name == "btree_index" and options.skip_amcheck:
            continue
        if name == "remote_counts" and not (options.remote or (options.only and name in options.only)):
            continue
        names.append(name)
    return names


def _rows(conn: psycopg.Connection, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params or {}).fetchall()


def _amcheck(conn: psycopg.Connection, options: Options, progress: Progress) -> Outcome:
    outcome = Outcome("btree_index")
    indexes = _rows(conn, query("integrity.btree_indexes"))

    def cost(index: dict[str, Any]) -> int:
        return int(index["bytes"]) + (int(index["table_bytes"]) if options.heapallindexed else 0)

    total = sum(cost(i) for i in indexes)
    done = 0
    step = Step("btree_index", 0, total)
    for index in indexes:
        step.note = index["index_name"]
        progress(step)
        outcome.problems += _rows(
            conn,
            query("integrity.check_btree_index"),
            {"index_oid": index["index_oid"], "heapallindexed": options.heapallindexed},
        )
        done += cost(index)
        step.done = done
    progress(step)
    size = total / 1024 / 1024
    outcome.checked = f"{len(indexes)} indexes, {size:.1f} MB read" + (
        " (with their tables)" if options.heapallindexed else ""
    )
    return outcome


def remote_counts(cfg: Config, target: Target, shop_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Per shop and entity, Shoptet's paginator.totalCount of its list endpoint (one request of
    one item each), or the error that kept Shoptet from answering."""
    from runner.shoptet.shop_client import client_for_shop

    counts: list[dict[str, Any]] = []
    for shop_id in shop_ids:
        try:
            client = client_for_shop(shop_id, cfg=cfg, target=target)
        except HubError as exc:
            counts += [{"shop_id": shop_id, "entity": e, "error": summarize(exc, one_line=True)} for e in ENTITIES]
            continue
        with client:
            for entity, path in ENTITIES.items():
                try:
                    data = client.get(path, {"itemsPerPage": 1}) or {}
                    total = (data.get("paginator") or {}).get("totalCount")
                    if total is None:
                        raise CommandError(f"GET {path}: the answer has no data.paginator.totalCount")
                    counts.append({"shop_id": shop_id, "entity": entity, "total_count": int(total)})
                except HubError as exc:
                    counts.append({"shop_id": shop_id, "entity": entity, "error": summarize(exc, one_line=True)})
    return counts


def _remote(cfg: Config, target: Target, conn: psycopg.Connection, options: Options, progress: Progress) -> Outcome:
    from psycopg.types.json import Jsonb

    outcome = Outcome("remote_counts")
    shops = [
        int(r["shop_id"])
        for r in _rows(
            conn, query("integrity.remote_shops"), {"shop_ids": list(options.shop_ids) if options.shop_ids else None}
        )
    ]
    missing = sorted(set(options.shop_ids or ()) - set(shops))
    if missing:
        raise CommandError(f"--shop {', '.join(map(str, missing))}: no such shop (hub shop list)")
    progress(Step("remote_counts", note=f"asking Shoptet about {len(shops)} shop(s)"))
    counts = remote_counts(cfg, target, shops)
    outcome.problems = _rows(conn, query("integrity.check_remote_counts"), {"remote": Jsonb(counts)})
    outcome.checked = f"{len(shops)} shop(s) x {len(ENTITIES)} entities"
    return outcome


def run(cfg: Config, target: Target, options: Options, progress: Progress | None = None) -> dict[str, Any]:
    """Every selected check; the report with its problems, exit status and status word."""
    report: dict[str, Any] = {
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database_target": target.description,
    }
    show = progress or (lambda step: None)
    outcomes: list[Outcome] = []
    with connect(target, "app", autocommit=True, connect_timeout=5) as conn:
        for name in selected(options):
            started = time.monotonic()
            show(Step(name))
            if name == "btree_index":
                outcome = _amcheck(conn, options, show)
            elif name == "remote_counts":
                outcome = _remote(cfg, target, conn, options, show)
            else:
                params = {"tolerance_per_line": options.tolerance_per_line}
                outcome = Outcome(name, problems=_rows(conn, _local_query(name), params))
            outcome.seconds = round(time.monotonic() - started, 3)
            outcomes.append(outcome)
    problems = [p for o in outcomes for p in o.problems]
    report["checks"] = [
        {
            "check": o.check,
            "what": CHECKS[o.check],
            "checked": o.checked,
            "problems": len(o.problems),
            "seconds": o.seconds,
        }
        for o in outcomes
    ]
    report["problems"] = problems
    code = exit_status(problems)
    report["exit_status"] = code
    report["status"] = STATES[code]
    return report


# -- text ---------------------------------------------------------------------------------------


def renderable(report: dict[str, Any]) -> RenderableType:
    """The report for a rich Console: a verdict, the checks made, then every problem with what to do."""
    from rich.console import Group
    from rich.text import Text

    from runner.status import CRITICAL, OK, UNKNOWN, WARNING, _table

    code = int(report["exit_status"])
    style = {OK: "bold green", WARNING: "bold yellow", CRITICAL: "bold red", UNKNOWN: "bold red"}[code]
    verdict = {
        OK: "no problem found",
        WARNING: f"{len(report.get('problems', []))} problem(s), warnings only",
        CRITICAL: f"{len(report.get('problems', []))} problem(s), critical",
        UNKNOWN: "unknown: the database does not answer",
    }[code]
    head = Text.assemble(("Shoptet Hub integrity: ", "bold"), (verdict, style), f"  {report['checked_at']}  ")
    head.append(report["database_target"], style="dim")
    if code == UNKNOWN:
        return Group(head, Text(str(report.get("error")), style="red"))
    parts: list[RenderableType] = [head]
    parts.append(
        _table(
            "Checks",
            ("check", "checked", "problems", "time"),
            [(c["check"], c["checked"] or c["what"], c["problems"], f"{c['seconds']:.1f} s") for c in report["checks"]],
            right=("problems", "time"),
        )
    )
    if report["problems"]:
        parts.append(Text("Problems", style="bold"))
    for p in report["problems"]:
        severity = str(p["severity"])
        line = Text.assemble(
            (severity.upper(), "bold red" if severity == "critical" else "bold yellow"),
            "  ",
            (str(p["check_name"]), "bold"),
            "  ",
            str(p["object"]),
        )
        parts.append(line)
        parts.append(Text("  " + str(p["detail"])))
        parts.append(Text("  what to do: " + str(p["remedy"]), style="cyan"))
    return Group(*parts)


class ProgressDisplay:
    """A transient rich progress bar on stderr (only on a terminal): the check under way, and
    amcheck's bytes read with the index being read."""

    def __init__(self, *, enabled: bool):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        console = Console(stderr=True)
        self.enabled = enabled and console.is_terminal
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[size]}"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[note]}", style="dim"),
            console=console,
            transient=True,
            disable=not self.enabled,
        )
        self.task: Any = None
        self.check = ""

    def __enter__(self) -> ProgressDisplay:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def __call__(self, step: Step) -> None:
        if step.check != self.check:
            if self.task is not None:
                self.bar.remove_task(self.task)
            self.check = step.check
            self.task = self.bar.add_task(step.check, total=step.total, note=step.note, size="")
        size = f"{step.done / 1048576:.1f}/{step.total / 1048576:.1f} MB" if step.total else ""
        self.bar.update(self.task, completed=step.done, total=step.total, note=step.note[:60], size=size)


def unreachable(target: Target, error: str) -> dict[str, Any]:
    """The report when the database does not answer (exit status 3)."""
    from runner.status import unreachable as status_unreachable

    return status_unreachable(target, error)
