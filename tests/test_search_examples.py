"""The search examples of README.md and docs/search.md work on the demo's shop (newcomer session on
issue 16): the sandbox shop `make demo` imports (seed 1, scale 0.01, the odd inputs), imported once;
every `hub search` line of their code blocks prints rows, and what docs/search.md says about the
demo's data (order codes in either case, `tomas_c` literal, variant names not searched, Slovak trunk 0)
is what the functions do."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from typing import Any

import psycopg
import pytest

from runner.config import REPO_ROOT, Config
from runner.db import Target
from runner.sandbox import Sandbox
from sandbox_helpers import HUB, NOWHERE, SHOP, import_entities

# as runner/demo.py starts it: `hub sandbox serve --scale 0.01 --odd-inputs` (seed 1, the default)
pytestmark = [
    pytest.mark.sandbox(scale=0.01, seed=1, job_seconds=0.1, webhook_retry_delay=0.05),
    pytest.mark.shop(env={"HUB_PUBLIC_URL": NOWHERE}),  # deliveries fail; snapshots poll the job list
]

# a `hub search` command at the start of a line of a code block (indented), `.venv/bin/` or not
_EXAMPLE = re.compile(r"^\s+(?:\.venv/bin/)?(hub search .*)$")
_PSQL = re.compile(r"^\s+(select \* from (?:sales|catalog)\.search_\w+\(.*\));")


def examples() -> list[tuple[str, str]]:
    """(page, line) of every search example in README.md and docs/search.md."""
    found = []
    for page in ("README.md", "docs/search.md"):
        for line in (REPO_ROOT / page).read_text(encoding="utf-8").splitlines():
            match = _EXAMPLE.match(line) or _PSQL.match(line)
            if match:
                found.append((page, match.group(1)))
    return found


def test_the_pages_have_search_examples() -> None:
    pages = [page for page, _ in examples()]
    assert pages.count("README.md") >= 1 and pages.count("docs/search.md") >= 4, examples()


@pytest.fixture
def demo_shop(shop: Config, db: Target, sandbox: Sandbox) -> Target:
    sandbox.put_odd_inputs(SHOP)
    outcomes = import_entities(shop, db, ["customers", "products", "orders"])
    assert all(o["status"] == "completed" for o in outcomes), outcomes
    return db


def _rows(conn: psycopg.Connection, function: str, q: str, limit: int = 20) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(f"select * from {function}(%s, %s, %s)", (SHOP, q, limit)).fetchall()


def test_search_examples_and_claims_hold_on_the_demo_shop(demo_shop: Target) -> None:
    """One import of the demo's shop (seconds) for both checks."""
    _examples_work(demo_shop)
    _claims_of_docs_search_hold(demo_shop)


def _examples_work(demo_shop: Target) -> None:
    for page, line in examples():
        if line.startswith("select"):
            with psycopg.connect(demo_shop.app) as conn:
                rows = conn.execute(line).fetchall()
            assert rows, f"{page}: {line} gives no rows on the demo shop"
            continue
        args = shlex.split(line, comments=True)
        assert args[:2] == ["hub", "search"], line
        done = subprocess.run(
            [HUB, *args[1:], *([] if "--json" in args else ["--json"])],
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"{page}: {line}: {done.stderr}"
        assert json.loads(done.stdout), f"{page}: {line} finds nothing on the demo shop"


def _claims_of_docs_search_hold(demo_shop: Target) -> None:
    with psycopg.connect(demo_shop.app) as conn:
        # order codes are tried as typed, upper-cased and lower-cased
        assert [r["code"] for r in _rows(conn, "sales.search_orders", "ODD-DATE-2206")] == ["ODD-DATE-2206"]
        assert [r["code"] for r in _rows(conn, "sales.search_orders", "odd-date-2206")] == ["ODD-DATE-2206"]
        assert [r["code"] for r in _rows(conn, "sales.search_orders", "Odd-Date-2206")] == ["ODD-DATE-2206"]
        # `_` is no wildcard: tomas_c does not find tomas.cerny...@, which tomas.c finds
        dotted = [r["email"] for r in _rows(conn, "sales.search_customers", "tomas.c") if r["matched_field"] == "email"]
        assert dotted and all(e.startswith("tomas.cerny.") for e in dotted), dotted
        assert _rows(conn, "sales.search_customers", "tomas_c") == []
        # only the product name is searched: a row's name copied whole (with the variant's) finds nothing
        variants = [r for r in _rows(conn, "catalog.search_products", "Hodinky Sport 44") if r["rank"] == 3]
        assert len(variants) > 1 and len({r["product_guid"] for r in variants}) == 1, variants
        shown = next(r["name"] for r in variants if r["name"] != "Hodinky Sport 44")
        assert shown.startswith("Hodinky Sport 44 ") and _rows(conn, "catalog.search_products", shown) == []
        # a Slovak number keeps its national trunk 0; without it, or with +421, it is found
        slovak = conn.execute(
            "select guid, core.normalize_phone(phone) from sales.customers "
            "where shop_id = %s and phone like '+421%%' order by guid limit 1",
            (SHOP,),
        ).fetchone()
        assert slovak is not None
        guid, digits = slovak
        for typed in (f"+421 {digits}", digits):
            assert guid in [r["guid"] for r in _rows(conn, "sales.search_customers", typed)], typed
        assert guid not in [r["guid"] for r in _rows(conn, "sales.search_customers", "0" + digits)]
