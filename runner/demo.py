"""`make demo`: the database, a sandbox shop (selling in cs and en), a full import with its progress
bar, the dashboard, what to look at next (a translation round trip among it).

Run after `hub db start` and `hub db migrate` (the Makefile does both). Starts the sandbox
(`hub sandbox serve`) in the background unless one already answers on the port, connects its
shop with `hub shop add`, imports it with `hub snapshot import`, then starts `hub serve` (the
dashboard, port DEMO_WEB_PORT, default 8000) and `hub worker` in the background (pid files and
logs in HUB_HOME), sets a one-time dashboard password when none is set, and prints the next steps
ending with the dashboard's URL and that password.
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
WEB_PORT = int(os.environ.get("DEMO_WEB_PORT", "8000"))


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_sandbox/shops", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _alive(pid_file: Path) -> bool:
    """Whether the process named in pid_file (written by an earlier demo) still runs."""
    try:
        os.kill(int(pid_file.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def _background(cfg: Config, name: str, argv: list[str], env: dict[str, str]) -> str:
    """Start `hub <name>` in the background (its own session, so Ctrl-C of make leaves it), unless
    the one an earlier demo started still runs; returns a line saying which."""
    pid_file, log_file = cfg.home / f"{name}.pid", cfg.home / f"{name}.log"
    if _alive(pid_file):
        return f"{name}: already running (pid {pid_file.read_text().strip()}; log {log_file})"
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    pid_file.write_text(f"{proc.pid}\n")
    return f"{name}: started in the background (pid {proc.pid}; log {log_file})"


def _web_up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _dashboard_password(cfg: Config) -> str | None:
    """A new one-time dashboard password when none is set (returned to be printed), else None."""
    import secrets

    from runner.dashboard.passwords import set_password, stored_hash
    from runner.db import target_for
    from runner.secret_key import load_secret_key
    from runner.settings import Settings

    with Settings(target_for(cfg).app, secret_key=load_secret_key(cfg), listen=False) as settings:
        if stored_hash(settings) is not None:
            return None
        password = secrets.token_urlsafe(12)
        set_password(settings, password)
        return password


def start_dashboard(cfg: Config, hub: str, env: dict[str, str]) -> int:
    """`hub serve` and `hub worker` in the background, a one-time password, and how to use and stop them."""
    web = f"http://127.0.0.1:{WEB_PORT}"
    lines = []
    if _web_up(web):
        lines.append(f"serve: already answering on {web}")
    else:
        lines.append(_background(cfg, "serve", [hub, "serve", "--port", str(WEB_PORT)], env))
    lines.append(_background(cfg, "worker", [hub, "worker"], env))
    deadline = time.monotonic() + 30
    while not _web_up(web):
        if time.monotonic() > deadline:
            print(f"demo: the web app did not answer on {web}; see {cfg.home / 'serve.log'}", file=sys.stderr)
            return 1
        time.sleep(0.3)
    password = _dashboard_password(cfg)
    print("\n".join(lines))
    stop = " ; ".join(f"kill $(cat {cfg.home / name}.pid)" for name in ("serve", "worker", "sandbox"))
    print(f"""
Stop the background processes: {stop} ; {hub} db stop
Dashboard: {web}/""")
    public = env["HUB_PUBLIC_URL"]
    if cfg.public_url != public:
        # the URLs hub commands print (feeds, webhooks) come from HUB_PUBLIC_URL of the shell running them
        print(
            f"In your shell, so that `hub feed list` and others print the URLs this web app serves:\n"
            f"  export HUB_PUBLIC_URL={public}"
        )
    if password:
        print(f"  password: {password}   (one-time, set now; change it with: {hub} web passwd)")
    else:
        print(f"  password: the one set before (forgot it? {hub} web passwd)")
    return 0


BACKUP_STEPS = (["backup", "run"], ["backup", "run", "--pitr", "full"], ["backup", "verify"])
"""A first backup, so that `hub status` right after the demo is not critical for want of one: a
dump, a pgBackRest backup (where WAL archiving is on), and the dump restored to prove it."""


def first_backup(hub: str, env: dict[str, str]) -> bool:
    """Run BACKUP_STEPS; a step that fails is reported and the demo goes on (it is still usable;
    `hub status` then says what is missing). True when every step succeeded."""
    ok = True
    for step in BACKUP_STEPS:
        print("$ " + " ".join(step), flush=True)
        if subprocess.run([hub, *step], env=env).returncode != 0:
            print(f"demo: `hub {' '.join(step)}` failed; `hub status` will say what is missing", file=sys.stderr)
            ok = False
    return ok


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
                # the shop sells in Czech and English: the import reads both, translations round-trip
                "--languages",
                f"{SHOP}=cs,en",
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
    env = {
        **os.environ,
        "HUB_SHOPTET_API_URL": url,
        "HUB_LOG_LEVEL": os.environ.get("HUB_LOG_LEVEL", "WARNING"),
        # the sandbox's webhooks go to the web app the demo starts (DEMO_WEB_PORT)
        "HUB_PUBLIC_URL": os.environ.get("HUB_PUBLIC_URL", f"http://127.0.0.1:{WEB_PORT}"),
    }
    steps = [
        [hub, "shop", "add", "--token", f"sandbox-private-{SHOP}", "--master"],
        [hub, "snapshot", "import", "--shop", str(SHOP)],
    ]
    for step in steps:
        print("$ " + " ".join(step[1:]).replace(f"sandbox-private-{SHOP}", "<sandbox token>"), flush=True)
        if subprocess.run(step, env=env).returncode != 0:
            return 1
    first_backup(hub, env)
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
  {hub} search customers --shop {SHOP} novkova     # Nováková despite the typo; orders and products too (docs/search.md)
A translation round trip (the shop sells in cs and en; README.md "Translations: a round trip"):
  G=$({hub} db psql -- -Atc "select guid from catalog.products where shop_id = {SHOP} \\
        and deleted_at is null order by name limit 1")
  {hub} translate draft --shop {SHOP} --product $G --field name --language en --text "Oak table" --by eva
  {hub} translate review --language en --by eva && {hub} translate approve --language en --by bob
  {hub} translate sync --shop {SHOP}                          # PATCH ...?language=en to the sandbox
  {hub} snapshot import --shop {SHOP} --entity products       # reads cs and en back
  {hub} db psql -- -c "select language, value from catalog.product_texts where product_guid = '$G' and field = 'name'"
Live sync: the web app and a worker run in the background against the sandbox (below).

Connect with:
  {hub} db psql                       # as the superuser
  {hub} db psql --role readonly       # as hub_readonly (what analysts use)
  psql "$({hub} db url)"
""")
    return start_dashboard(cfg, hub, {**env, "HUB_LOG_LEVEL": os.environ.get("HUB_LOG_LEVEL", "INFO")})


if __name__ == "__main__":
    sys.exit(main())
