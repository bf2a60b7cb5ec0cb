"""Settings benchmark: cached read, uncached SQL read, change propagation between processes.

Run with `make bench` or `hub bench settings`. Prints p50 / p95 / p99 and, unless
told not to, appends them to bench/RESULTS.md.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from bench.stats import fmt_seconds, record, summary
from runner.config import Config
from runner.db import target_for
from runner.secret_key import load_secret_key
from runner.settings import Settings

KEY = "bench.settings.value"
SHOP = None

# The reader: caches KEY, then reports (wall clock) each time it sees a new value.
READER = textwrap.dedent("""
    import sys, time
    from runner.settings import Settings
    s = Settings(sys.argv[1], ttl=3600)
    last = s.get(sys.argv[2])
    print("ready", flush=True)
    while True:
        value = s.get(sys.argv[2])
        if value != last:
            print(f"{value} {time.time():.6f}", flush=True)
            last = value
            if value == -1:
                break
        time.sleep(0.0005)
""")


def _time_reads(settings: Settings, iterations: int) -> list[float]:
    samples = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        settings.get(KEY)
        samples.append(time.perf_counter() - t0)
    return samples


def _propagation(conninfo: str, settings: Settings, changes: int) -> list[float]:
    settings.set(KEY, 0)
    reader = subprocess.Popen([sys.executable, "-c", READER, conninfo, KEY], stdout=subprocess.PIPE, text=True)
    samples = []
    try:
        assert reader.stdout is not None
        if reader.stdout.readline().strip() != "ready":
            raise RuntimeError("the reader process did not start")
        for i in range(1, changes + 1):
            value = i if i < changes else -1
            settings.set(KEY, value)
            committed = time.time()
            seen_value, seen_at = reader.stdout.readline().split()
            if int(seen_value) != value:
                raise RuntimeError(f"reader saw {seen_value}, expected {value}")
            samples.append(max(0.0, float(seen_at) - committed))
            time.sleep(0.02)
    finally:
        reader.kill()
        reader.wait()
    return samples


def main(cfg: Config, *, iterations: int = 2000, record_results: bool = True) -> int:
    conninfo = target_for(cfg).app
    key = load_secret_key(cfg)
    with Settings(conninfo, secret_key=key, ttl=3600) as cached, Settings(conninfo, listen=False) as uncached:
        cached.set(KEY, 42)
        cached.get(KEY)
        results = {
            "cached read (in-process cache)": summary(_time_reads(cached, iterations)),
            "uncached read (SQL round trip, core.setting_get)": summary(
                _time_reads(uncached, max(200, iterations // 10))
            ),
            "change seen by another process (commit -> read)": summary(_propagation(conninfo, cached, 100)),
        }
        cached.delete(KEY)
    lines = ["| measurement | n | p50 | p95 | p99 |", "|---|---|---|---|---|"]
    for name, s in results.items():
        lines.append(
            f"| {name} | {s['n']:.0f} | {fmt_seconds(s['p50'])} | {fmt_seconds(s['p95'])} | {fmt_seconds(s['p99'])} |"
        )
    print("\n".join(lines))
    if record_results:
        record("Settings reads", f"hub bench settings --iterations {iterations}", lines)
    return 0
