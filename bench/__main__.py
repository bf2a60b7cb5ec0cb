"""`make bench`: start and migrate the embedded database (unless HUB_DATABASE_URL), run every benchmark."""

from __future__ import annotations

import sys

from runner.config import Config
from runner.db import embedded_cluster, target_for
from runner.migrate import migrate


def main() -> int:
    cfg = Config.from_env()
    if cfg.embedded:
        for line in embedded_cluster(cfg).start():
            print(f"db: {line}")
    result = migrate(target_for(cfg))
    print(f"db: {len(result.applied)} migration(s) applied")
    from bench import settings_bench

    status = settings_bench.main(cfg)
    from bench import webhook_bench

    status = webhook_bench.run(cfg) or status
    from bench import e2e_bench

    status = e2e_bench.run(cfg) or status
    return status


if __name__ == "__main__":
    sys.exit(main())
