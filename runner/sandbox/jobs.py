"""Snapshot jobs: pending -> running -> completed, and their gzip JSON-Lines result files.

A result file is written line by line straight into gzip, one bare entity per line
(an order as ``data.order``, a customer as ``data.customer``, a product as the product
detail with its variants), so no list of entities is ever held. A snapshot of an
unmutated shop without filters and without malformed lines is cached under
``<data_dir>/cache`` by (generator version, shop, seed, scale, anchor day, entity), so
a benchmark at scale 1.0 generates each file once; anything else is written for its
job under a per-run directory that is removed when the sandbox stops.

Malformed lines (fault ``malformed_fraction``) are chosen deterministically from (seed,
entity, line number) and are one of: broken JSON, an object of the wrong shape, or
(orders) an item with an unknown ``itemType`` / (others) an unknown enum value.
"""

from __future__ import annotations

import gzip
import os
import random
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from runner.sandbox import generator as g
from runner.sandbox.formats import fmt_dt

GENERATOR_VERSION = 2  # 2: products carry the feed fields (issue 17)
RESULT_VALID_S = 24 * 3600
ENDPOINTS = {
    "orders": "/api/orders/snapshot",
    "customers": "/api/customers/snapshot",
    "products": "/api/products/snapshot",
}
TERMINAL = ("completed", "failed", "expired", "killed")
_ALNUM = string.ascii_lowercase + string.digits


def new_job_id() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(7))


@dataclass
class Job:
    job_id: str
    eshop_id: int
    entity: str
    endpoint: str
    created: float
    status: str = "pending"
    completed: float | None = None
    result_name: str | None = None  # file name under /api-results/
    path: Path | None = None
    log: str | None = None
    polls: int = 0
    lines: int = 0
    malformed_lines: list[int] = field(default_factory=list)
    outcome: str | None = None  # fault: failed | expired | killed
    include: str | None = None  # products: the sections on demand asked for (include=)
    language: str = "cs"  # the language of the job (its shop's default unless ?language= asked another)
    translated: str | None = None  # products: the non-default language their texts are in (None: default)

    def as_json(self, base_url: str, detail: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "jobId": self.job_id,
            "endpoint": self.endpoint,
            "creationTime": fmt_dt(self.created),
            "completionTime": fmt_dt(self.completed),
            "status": self.status,
            "validUntil": fmt_dt(self.completed + RESULT_VALID_S)
            if self.status == "completed" and self.completed
            else None,
            "language": self.language,
        }
        if detail:
            out["duration"] = f"{self.completed - self.created:.3f}" if self.completed else None
            out["resultUrl"] = (
                f"{base_url}/api-results/{self.result_name}"
                if self.status == "completed" and self.result_name
                else None
            )
            out["log"] = self.log
            keys = (
                "jobId",
                "endpoint",
                "creationTime",
                "completionTime",
                "duration",
                "status",
                "resultUrl",
                "validUntil",
                "log",
                "language",
            )
            out = {k: out[k] for k in keys}
        return out


def _malform(line: bytes, entity: str, rng: random.Random) -> bytes:
    kind = rng.randrange(3)
    if kind == 0:
        return line[: max(1, len(line) // 2)]  # broken JSON
    if kind == 1:
        return orjson.dumps({"unexpected": True, "entity": entity, "value": [1, 2, 3]})  # wrong shape
    obj = orjson.loads(line)
    if entity == "orders" and obj.get("items"):
        obj["items"][0]["itemType"] = "teleport-item"
    elif entity == "customers":
        obj["accounts"] = "not-a-list"
    else:
        obj["type"] = "hologram"
        obj["variants"] = None
    return orjson.dumps(obj)


def write_jsonl_gz(
    path: Path,
    entities: Iterator[dict[str, Any]],
    *,
    entity: str,
    seed: int,
    malformed_fraction: float = 0.0,
    on_entity: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[int, list[int]]:
    """Write entities one per line into gzip at path (via a temp file); (lines, malformed line numbers)."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}-{threading.get_ident()}")
    n = 0
    bad: list[int] = []
    threshold = int(malformed_fraction * 2**32)
    salt = g._key("malformed", seed, entity)
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
        buf: list[bytes] = []
        size = 0
        for obj in entities:
            n += 1
            if on_entity is not None:
                on_entity(obj)
            line = orjson.dumps(obj)
            if threshold:
                rng = random.Random(salt ^ n)
                if rng.getrandbits(32) < threshold:
                    line = _malform(line, entity, rng)
                    bad.append(n)
            buf.append(line)
            size += len(line)
            if size > 1 << 20:
                buf.append(b"")
                gz.write(b"\n".join(buf))
                buf, size = [], 0
        if buf:
            buf.append(b"")
            gz.write(b"\n".join(buf))
    os.replace(tmp, path)
    return n, bad


class ResultFiles:
    """Where result files live: the shared cache and this run's job directory."""

    def __init__(self, data_dir: Path):
        self.cache_dir = data_dir / "cache"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        import tempfile

        self.jobs_dir = Path(tempfile.mkdtemp(prefix="jobs-", dir=data_dir))
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def cache_path(self, eshop_id: int, seed: int, scale: float, anchor: int, entity: str) -> Path:
        day = time.strftime("%Y%m%d", time.gmtime(anchor + 7200))
        return self.cache_dir / f"v{GENERATOR_VERSION}-{eshop_id}-s{seed}-x{scale:g}-a{day}-{entity}.jsonl.gz"

    def lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def cleanup(self) -> None:
        import shutil

        shutil.rmtree(self.jobs_dir, ignore_errors=True)
