"""`make demo`: the database, a sandbox shop, a full import with its progress bar, what to look at next.

Run after `hub db start` and `hub db migrate` (the Makefile does both). Starts the sandbox
(`hub sandbox serve`) in the background unless one already answers on the port, connects its
shop with `hub shop add`, imports it with `hub snapshot import`, and prints the next steps.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from runner.config import Config

SHOP = 900101
PORT = int(os.environ.get("DEMO_SANDBOX_PORT", "8900"))
SCALE = os.environ.get("DEMO_SCALE", "0.01")


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_sandbox/shops", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> int:
    cfg = Config.from_env()
    hub = str(Path(sys.executable).parent / "hub")
    url = f"http://127.0.0.1:{PORT}"
    if not _up(url):
        cfg.home.mkdir(parents=True, exist_ok=True)
        log = open(cfg.home / "sandbox.log", "ab")
        proc = subprocess.Popen(
            [
                hub,
                "sandbox",
                "serve",
                "--port",
                str(PORT),
                "--scale",
                SCALE,
                "--data-dir",
                str(cfg.home / "sandbox"),
                "--odd-inputs",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        (cfg.home / "sandbox.pid").write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + 30
        while not _up(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                print(f"demo: the sandbox did not start; see {cfg.home / 'sandbox.log'}", file=sys.stderr)
                return 1
            time.sleep(0.2)
        print(f"sandbox: a fake Shoptet API on {url} (scale {SCALE}; log {cfg.home / 'sandbox.log'})")
    else:
        print(f"sandbox: already running on {url}")
    env = {**os.environ, "HUB_SHOPTET_API_URL": url, "HUB_LOG_LEVEL": os.environ.get("HUB_LOG_LEVEL", "WARNING")}
    steps = [
        [hub, "shop", "add", "--token", f"sandbox-private-{SHOP}", "--master"],
        [hub, "snapshot", "import", "--shop", str(SHOP)],
    ]
    for step in steps:
        print("$ " + " ".join(step[1:]).replace(f"sandbox-private-{SHOP}", "<sandbox token>"), flush=True)
        if subprocess.run(step, env=env).returncode != 0:
            return 1
    print(f"""
The demo shop {SHOP} is imported. Look at it:
  {hub} db psql --role readonly
    select status_name, count(*), sum(total_with_vat) from sales.orders group by 1 order by 2 desc;
    select * from sales.customer_orders_page({SHOP}, (select customer_guid from sales.orders
        where customer_guid is not null limit 1), null, null, 10);
    select * from ops.partitions;
    select * from sales.email_orders_page({SHOP}, 'petr.novak@example.cz');   -- one guest, three spellings
    select * from ops.orders_date_outliers;                                   -- an order typed as 2206
  {hub} shop list
  {hub} snapshot list          # and: {hub} snapshot show ID   (warnings: fields left out, see docs/data-quality.md)
Live sync: HUB_SHOPTET_API_URL={url} {hub} serve   and   {hub} worker
Stop: kill $(cat {cfg.home / "sandbox.pid"}) ; {hub} db stop""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
