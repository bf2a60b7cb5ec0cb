"""Shoptet's 3 concurrent requests per token hold across processes (runner/shoptet/slots.py).

Two real processes (a CLI import and a worker, say) use the same shop's token against the sandbox,
which answers 429 ``too-many-concurrent-requests`` to a 4th concurrent request of a token and
counts them (``Sandbox.concurrency``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import psycopg
import pytest

from runner.config import REPO_ROOT, Config
from runner.db import Target
from runner.sandbox import Sandbox
from runner.shoptet.shop_client import client_for_shop
from sandbox_helpers import SHOP

pytestmark = [
    pytest.mark.sandbox(scale=0.0002, seed=4, job_seconds=0.5, webhook_retry_delay=0.5),
    pytest.mark.shop(register_webhooks=False),
]

# one process: `threads` threads share the shop's client and send `requests` GETs in all
CLIENT = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
from runner.config import Config
from runner.shoptet.client import ShoptetClient
from runner.shoptet.shop_client import client_for_shop
shop, requests, threads, shared = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "shared"
client = client_for_shop(shop, cfg=Config.from_env())
if not shared:  # the per-process limit of before: same token, no database slots
    client = ShoptetClient(client.base_url, client.credentials, shop_id=shop)
print("ready", flush=True)
sys.stdin.readline()  # start together
with client, ThreadPoolExecutor(threads) as pool:
    list(pool.map(lambda i: client.get("/api/orders", {"page": 1, "itemsPerPage": 5}), range(requests)))
print(json.dumps({"requests": client.stats.requests, "rate_limited": client.stats.rate_limited}), flush=True)
"""

# holds every slot of the shop's token until killed
HOLDER = """
import sys, time
from runner.config import Config
from runner.db import target_for
from runner.shoptet.auth import PrivateToken
from runner.shoptet.slots import TokenSlots
conninfo = target_for(Config.from_env()).conninfo("app")
slots = TokenSlots(PrivateToken("x", shop_id=int(sys.argv[1])).key, conninfo=conninfo)
held = [slots._take() for _ in range(3)]
print(" ".join(map(str, held)), flush=True)
time.sleep(600)
"""


@pytest.fixture
def env(shop: Config, hub_env: dict[str, str]) -> dict[str, str]:
    """The environment of a process of the hub whose shop is connected."""
    return {**os.environ, **hub_env, "PYTHONPATH": str(REPO_ROOT), "HUB_LOG_LEVEL": "WARNING"}


def run_two_processes(env: dict[str, str], mode: str, requests: int = 40, threads: int = 3) -> list[dict[str, int]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(SHOP), str(requests), str(threads), mode],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outcomes = []
        for p in procs:
            out, _ = p.communicate(timeout=120)
            assert p.returncode == 0
            outcomes.append(json.loads(out.strip().splitlines()[-1]))
        return outcomes
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def test_two_processes_of_one_shop_never_have_more_than_three_requests_in_flight(
    sandbox: Sandbox, env: dict[str, str]
) -> None:
    token = sandbox.private_token(SHOP)
    sandbox.set_faults(slow_ms=25)  # requests overlap
    outcomes = run_two_processes(env, "shared")
    assert [o["rate_limited"] for o in outcomes] == [0, 0]
    assert sandbox.concurrency(token) == {"inflight": 0, "peak": 3, "refused": 0}

    # the limit of before, per process only: together the two send 6 at once and get 429s
    sandbox.reset_concurrency()
    outcomes = run_two_processes(env, "local")
    assert sandbox.concurrency(token)["refused"] > 0
    assert sum(o["rate_limited"] for o in outcomes) == sandbox.concurrency(token)["refused"]


def test_slots_of_a_killed_process_are_free_again_and_nothing_goes_out_while_they_are_held(
    db: Target, sandbox: Sandbox, env: dict[str, str], admin: psycopg.Connection
) -> None:
    sandbox.reset_concurrency()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(SHOP)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().split() == ["0", "1", "2"]
        answers: list[object] = []
        with client_for_shop(SHOP, cfg=Config.from_env()) as client:
            asking = threading.Thread(target=lambda: answers.append(client.get("/api/eshop")))
            asking.start()
            time.sleep(0.5)
            # every slot is held by the other process: the request waits, nothing reached Shoptet
            assert answers == [] and sandbox.concurrency(sandbox.private_token(SHOP))["peak"] == 0
            holder.kill()  # SIGKILL: its session ends and PostgreSQL releases its advisory locks
            holder.wait(5)
            asking.join(10)
            assert len(answers) == 1
    finally:
        if holder.poll() is None:
            holder.kill()
    assert admin.execute("select count(*) from pg_locks where locktype = 'advisory'").fetchone() == (0,)


def test_a_run_of_requests_in_one_slot_takes_it_once_and_another_client_takes_another(
    shop: Config, db: Target, sandbox: Sandbox, admin: psycopg.Connection
) -> None:
    held_by_clients = (
        "select count(*) from pg_locks l join pg_stat_activity a using (pid)"
        " where l.locktype = 'advisory' and a.application_name = 'hub api slots'"
    )
    with client_for_shop(SHOP, cfg=shop) as client, client_for_shop(SHOP, cfg=shop) as other:
        with client.slot() as slot:
            assert slot is not None
            for _ in range(5):  # one slot for all of them: nothing taken or given back in between
                client.get("/api/orders", {"page": 1, "itemsPerPage": 5})
                assert admin.execute(held_by_clients).fetchone() == (1,)
            # another client of the token takes another slot (nested in its thread: the same one)
            with other._slots.hold() as a, other._slots.hold() as b:
                assert a is not None and a == b and a != slot
        assert admin.execute(held_by_clients).fetchone() == (0,)
