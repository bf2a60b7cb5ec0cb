"""`hub bench feeds`: how fast a Heureka offer feed is built, and in how much memory.

Two scratch shops get a catalogue at production shape made in SQL (bench/feeds_bench.sql): the
seeds' 13 k variants, and a big one of 500 k items (Heureka's limit per file). For each, a
Heureka feed is defined and built by `hub feed build --feed ID` in a child process: wall time
and the child's peak RSS (``wait4``) are what the targets speak of (<= 2 s for 13 k; <= 60 s
under 150 MB for 500 k); the child's CPU time and the server's (from /proc, when the server runs
here) are printed too: on a shared machine they move less than wall time. The built file is
then checked again by `hub feed check` (it must be clean). The scratch shops are purged
afterwards. Prints the load average: the machine may be shared.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import record
from runner.config import Config
from runner.db import Target, connect

SQL = Path(__file__).resolve().parent / "feeds_bench.sql"
SMALL_SHOP, BIG_SHOP = 990171, 990172
TARGETS = {SMALL_SHOP: (2.0, None), BIG_SHOP: (60.0, 150.0)}  # seconds, MB of RSS


def _fill(target: Target, shop_id: int, variants: int) -> float:
    started = time.monotonic()
    with connect(target, "admin", autocommit=True) as conn:
        for statement in SQL.read_text(encoding="utf-8").split(";\n"):
            if statement.strip() and not all(line.startswith("--") for line in statement.strip().splitlines()):
                conn.execute(statement, {"shop_id": shop_id, "variants": variants})
        # vacuumed as well as analysed: a catalogue a feed is built from has been through autovacuum;
        # a fresh bulk load is not, and autovacuum running on it during the build would be timed
        # with it (and the build would set the hint bits of every row)
        for table in ("catalog.products", "catalog.variants", "catalog.categories"):
            conn.execute(f"vacuum (analyze) {table}")
    return time.monotonic() - started


def _hub(env: dict[str, str], *args: str) -> tuple[int, float, float, float, str]:
    """Run `hub ARGS` as a child: (exit status, seconds, peak RSS in MB, CPU seconds (user +
    system), output)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner.cli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return proc.returncode, time.monotonic() - started, usage.ru_maxrss / 1024, cpu, out


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        return fh.read().rsplit(")", 1)[1].split()  # fields from the 3rd (state) on


def server_cpu(target: Target) -> float | None:
    """CPU seconds the database server has used so far (user + system), when it runs on this
    machine: the postmaster's own and its ended children's (cutime/cstime: a backend's CPU is
    added there when it exits), plus its live children's. The difference across a child's run is
    the server CPU that run cost (plus the little the server does on its own meanwhile). None
    when /proc does not show the server."""
    try:
        with connect(target, "admin", autocommit=True) as conn:  # its server process is alive meanwhile
            postmaster = int(_stat(conn.info.backend_pid)[1])
        fields = _stat(postmaster)
        ticks = sum(int(f) for f in fields[11:15])
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    child = _stat(int(entry.name))
                except OSError:
                    continue
                if int(child[1]) == postmaster:
                    ticks += int(child[11]) + int(child[12])
    except (OSError, ValueError, IndexError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def _cpu_delta(before: float | None, after: float | None) -> str:
    return f"{after - before:.1f} s" if before is not None and after is not None else "n/a"


def run(cfg: Config, target: Target, *, small: int = 13_000, big: int = 500_000, record_results: bool = True) -> int:
    """Measure and print (and append to bench/RESULTS.md); 1 when a target is missed or a check fails."""
    feeds_home = Path(tempfile.mkdtemp(prefix="hub-bench-feeds-"))
    env = {**os.environ, "HUB_FEEDS_DIR": str(feeds_home)}
    lines: list[str] = []
    failed = False
    try:
        for shop_id, variants in ((SMALL_SHOP, small), (BIG_SHOP, big)):
            if variants <= 0:
                continue
            fill = _fill(target, shop_id, variants)
            with connect(target, "admin", autocommit=True) as conn:
                row = conn.execute("select channels.feed_add(%s, 'heureka', null, null, '{}')", [shop_id]).fetchone()
            assert row is not None
            feed_id = int(row[0])
            server_before = server_cpu(target)
            rc, seconds, rss, cpu, out = _hub(env, "feed", "build", "--feed", str(feed_id))
            time.sleep(0.5)  # the build's server process ends after the child: let the postmaster reap it
            server = _cpu_delta(server_before, server_cpu(target))
            check_rc, check_s, _rss, _cpu, check_out = _hub(env, "feed", "check", "--feed", str(feed_id))
            size = (feeds_home / str(feed_id) / "heureka.xml").stat().st_size if rc == 0 else 0
            max_s, max_mb = TARGETS[shop_id]
            ok = rc == 0 and check_rc == 0 and seconds <= max_s and (max_mb is None or rss <= max_mb)
            failed |= not ok
            line = (
                f"Heureka feed of {variants:,} variants: {seconds:.2f} s (target <= {max_s:g} s), "
                f"peak RSS {rss:.0f} MB" + (f" (target <= {max_mb:g} MB)" if max_mb else "") + f", "
                f"CPU {cpu:.1f} s in the child (user + system) and {server} in the server, "
                f"{size / 1e6:.1f} MB of XML; check of the file {check_s:.2f} s; catalogue made in {fill:.1f} s"
                + ("" if ok else " -- MISSED" + ("" if rc == 0 else f": {out.strip()[-300:]}"))
            )
            print(line, flush=True)
            lines.append(line)
            if check_rc != 0:
                print(check_out[-2000:], file=sys.stderr)
    finally:
        with connect(target, "admin", autocommit=True) as conn:
            for shop_id in (SMALL_SHOP, BIG_SHOP):
                conn.execute("select ops.purge_shop(%s)", [shop_id])
        shutil.rmtree(feeds_home, ignore_errors=True)
    one, five, fifteen = os.getloadavg()
    load = f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs (uptime)"
    print(load)
    lines.append(load)
    if record_results:
        record("Marketplace feeds (hub bench feeds)", f"hub bench feeds --small {small} --big {big}", lines)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> Any:  # pragma: no cover - `python -m bench.feeds_bench`
    from runner.db import target_for

    cfg = Config.from_env()
    return run(cfg, target_for(cfg))
