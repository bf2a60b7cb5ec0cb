"""Product texts on the import path (issue 19): what reading texts per language costs a shop.

``python -m bench.product_texts_bench [N] [--function FILE]`` against the dev database (`hub db
start && hub db migrate`; shop 900101 must exist, e.g. after `hub shop add` of the sandbox's shop).
N products (default 5000, one variant each, HTML descriptions) are applied with the import's own
Stager (ingest.apply_products) in chunks of 500, as a one-language shop gets them:

* first load (N new products, 7 texts each);
* re-import of the same documents (writes nothing);
* re-import with every name changed (N texts written);
* the same N read in one other language (texts-only rows; what a two-language shop adds per language).

``--function FILE`` loads another ingest.apply_products first (e.g. main's, from `git show`) to
compare; the checkout's own is loaded back at the end. The products are removed afterwards.
Prints each step's best of ``--rounds`` (default 5) and records them in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import orjson

from bench.stats import record
from runner.config import Config
from runner.db import connect, target_for
from runner.shoptet.ingest import Stager

SHOP = 900101
CHUNK = 500
OWN = Path(__file__).resolve().parent.parent / "db" / "functions" / "ingest" / "apply_products.sql"


def _docs(n: int, tag: str) -> list[bytes]:
    out = []
    for p in range(n):
        out.append(
            orjson.dumps(
                {
                    "guid": f"b19e0000-0000-4000-8000-{p:012d}",
                    "name": f"Stůl dubový {p} {tag}",
                    "type": "product",
                    "visibility": "visible",
                    "creationTime": "2026-01-01T10:00:00+0100",
                    "changeTime": "2026-01-02T10:00:00+0100",
                    "shortDescription": f"<p>Krátký <b>popis</b> {p}</p>",
                    "description": f"<p>Dubový <em>stůl</em> číslo {p}, masiv, olejovaný.</p>" * 4,
                    "metaTitle": f"Stůl {p}",
                    "metaDescription": None,
                    "additionalName": None,
                    "xmlFeedName": None,
                    "variants": [{"code": f"B19-{p:06d}", "price": "1990.00", "stock": "3.000", "visible": True}],
                }
            )
        )
    return out


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) of a local process so far (/proc; the database runs on this
    machine): less sensitive than wall time to other sessions' load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _apply(cfg: Config, docs: list[bytes], language: str | None = None) -> tuple[float, float, int]:
    """(wall seconds, the database backend's CPU seconds, texts written) of applying ``docs``."""
    written = 0
    with connect(target_for(cfg), "app") as conn:
        row = conn.execute("select pg_backend_pid()").fetchone()
        pid = int(row[0]) if row else 0
        conn.commit()
        cpu = _cpu(pid)
        started = time.perf_counter()
        stager = Stager(conn, SHOP, "products", language=language)
        for at in range(0, len(docs), CHUNK):
            with conn.transaction():
                result = stager.apply_chunk((n, raw) for n, raw in enumerate(docs[at : at + CHUNK], at + 1))
            written += int(result.outcome.get("texts_written") or 0)
        return time.perf_counter() - started, _cpu(pid) - cpu, written


def _load_function(cfg: Config, path: Path) -> None:
    with connect(target_for(cfg), "admin", autocommit=True) as conn:
        conn.execute("set role hub_owner")  # as `hub db migrate` loads functions
        conn.execute(path.read_text())  # type: ignore[arg-type]


def _cleanup(cfg: Config) -> None:
    with connect(target_for(cfg), "admin", autocommit=True) as conn:
        conn.execute("delete from catalog.variants where shop_id = %s and code like 'B19-%%'", (SHOP,))
        conn.execute("delete from catalog.products where shop_id = %s and guid::text like 'b19e0000-%%'", (SHOP,))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=5000)
    ap.add_argument("--function", type=Path, help="an ingest.apply_products to measure instead of the checkout's")
    ap.add_argument("--label", default="this checkout")
    ap.add_argument("--rounds", type=int, default=5, help="each step's best of this many rounds (a busy machine)")
    args = ap.parse_args()
    cfg = Config.from_env()
    _cleanup(cfg)
    if args.function:
        _load_function(cfg, args.function)
    try:
        best: dict[str, tuple[float, float, int]] = {}
        for _ in range(args.rounds):
            _cleanup(cfg)
            for step, docs, language in (
                ("first load", _docs(args.n, "a"), None),
                ("re-import, unchanged", _docs(args.n, "a"), None),
                ("re-import, every name changed", _docs(args.n, "b"), None),
                ("texts in another language (en)", _docs(args.n, "en"), "en"),
            ):
                if language and args.function:
                    continue  # an older apply_products knows no texts-only rows
                seconds, cpu, written = _apply(cfg, docs, language)
                old = best.get(step)
                best[step] = (min(seconds, old[0]) if old else seconds, min(cpu, old[1]) if old else cpu, written)
        rows = [(step, s, c, w) for step, (s, c, w) in best.items()]
        for step, seconds, cpu, written in rows:
            print(
                f"{step:<34} {seconds:6.2f} s, database CPU {cpu:5.2f} s  {written:>7,} texts written "
                f"(best of {args.rounds})"
            )
    finally:
        if args.function:
            _load_function(cfg, OWN)
        _cleanup(cfg)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    record(
        f"Product texts on the import path, {args.n:,} products ({args.label})",
        f"python -m bench.product_texts_bench {args.n} --rounds {args.rounds}"
        + (f" --function {args.function}" if args.function else ""),
        [
            f"| step | wall seconds (best of {args.rounds}) | database backend CPU seconds (best of {args.rounds}) "
            "| texts written |",
            "|---|---|---|---|",
        ]
        + [f"| {step} | {s:.2f} | {c:.2f} | {w:,} |" for step, s, c, w in rows]
        + ["", f"Load average (1, 5, 15 min) at the end: {load} (a machine shared with other sessions)."],
    )


if __name__ == "__main__":
    main()
