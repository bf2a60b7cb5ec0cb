"""`make bench`: start and migrate the embedded database (unless HUB_DATABASE_URL), run every benchmark.

BENCH_SCALE (default 0.1; 1 = the seeds' production size) is the scale of the data that
`hub bench generate` makes before the query benchmark.
"""

from __future__ import annotations

import os
import sys

from runner.config import Config
from runner.db import embedded_cluster, target_for
from runner.migrate import migrate


def main() -> int:
    cfg = Config.from_env()
    scale = float(os.environ.get("BENCH_SCALE") or 0.1)
    if cfg.embedded:
        for line in embedded_cluster(cfg).start():
            print(f"db: {line}")
    target = target_for(cfg)
    result = migrate(target)
    print(f"db: {len(result.applied)} migration(s) applied")
    from bench import settings_bench

    status = settings_bench.main(cfg)
    from bench import webhook_bench

    status = webhook_bench.run(cfg) or status
    from bench import e2e_bench

    status = e2e_bench.run(cfg) or status
    for latency_ms in sorted(e2e_bench.BURST_TARGETS):  # a burst of 1,000 order webhooks, 0 and 150 ms
        status = e2e_bench.run_burst(cfg, burst=1000, latency_ms=latency_ms) or status
    from bench import generate, query_bench
    from bench.stats import record

    report = generate.generate(target, scale=scale)
    lines = report.lines()
    print("\n".join(lines))
    record("Data generator", f"BENCH_SCALE={scale} make bench (hub bench generate --scale {scale} --seed 42)", lines)
    status = query_bench.run(target, scale=scale) or status
    from bench import search_bench

    status = search_bench.run(target) or status
    from bench import inventory_bench

    status = inventory_bench.run(target, scale=scale) or status
    from bench import analytics_bench

    status = analytics_bench.run(target) or status
    from bench import analytics_extras_bench

    status = analytics_extras_bench.run_recommendations(target) or status
    status = analytics_extras_bench.run_tags(target) or status
    from bench import import_bench

    status = import_bench.run(cfg, scale=scale) or status
    from bench import web_bench

    status = web_bench.run(cfg) or status  # every dashboard page on the generated data, p95 < 200 ms
    return status


if __name__ == "__main__":
    sys.exit(main())
