"""One e-mail and one GUID normalisation (issue 11, items 1 and 2), SQL and Python alike, through
the public paths: snapshot import over HTTP from the sandbox (documents placed with
``Sandbox.put``) and `hub sync`."""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from runner import cli
from runner.config import REPO_ROOT, Config
from runner.db import Target
from runner.logs import _Formatter
from runner.sandbox import Sandbox
from runner.sandbox.formats import fmt_dt
from runner.shoptet import snapshots
from runner.shoptet.normalize import EDGE_WHITESPACE, normalize_email, normalize_guid
from sandbox_helpers import SHOP, client_for, import_entity

UPPER_GUID = "A1B2C3D4-5B7D-11EE-8C99-0242AC120002"
PRODUCT_GUID = "8a2f7b4c-1d2e-11e0-9a5c-feab5ed617ed"

pytestmark = pytest.mark.shop(master=True)

EMAILS = [
    None,
    "",
    " ",
    "\t",
    "\r\n",
    "\u00a0",
    "\u2003",
    "\ufeff",
    "\u200b\u3000 \t",
    "Petr.Novak@Example.cz",
    "petr.novak@example.cz ",
    "\tpetr.novak@example.cz",
    "\r\npetr.novak@example.cz\r\n",
    "\u00a0Petr.Novak@Example.CZ\u2003",
    "\ufeffpetr.novak@example.cz",
    "petr.novak@example.cz\u202f\u205f",
    "petr novak@example.cz",
    "petr.novak@example.cz\u00a0x",
    "PETR.NOVÁK@EXAMPLE.CZ",
    "ΟΔΟΣ@EXAMPLE.GR",
    "İSTANBUL@EXAMPLE.TR",
    "STRAßE@EXAMPLE.DE",
    *(f"{c}Jana@Example.cz{c}" for c in EDGE_WHITESPACE),
]
GUIDS = [
    None,
    "",
    " ",
    "\t\r\n",
    "\u00a0",
    "\ufeff",
    "a1b2c3d4-5b7d-11ee-8c99-0242ac120002",
    UPPER_GUID,
    f"  {UPPER_GUID}\t",
    f"\u00a0{UPPER_GUID.lower()}\u2003",
    f"\ufeff{UPPER_GUID}",
    "A1b2C3d4-5B7d-11eE-8c99-0242Ac120002",
    "12345",
    "{a1b2c3d4-5b7d-11ee-8c99-0242ac120002}",
    "a1b2c3d45b7d11ee8c990242ac120002",
    "a1b2c3d4-5b7d-11ee-8c99-0242ac12000",
    "a1b2c3d4-5b7d-11ee-8c99-0242ac1200022",
    "g1b2c3d4-5b7d-11ee-8c99-0242ac120002",
    "a1b2c3d4 5b7d-11ee-8c99-0242ac120002",
    "ａ1b2c3d4-5b7d-11ee-8c99-0242ac120002",
    "not-a-guid",
    *(f"{c}{UPPER_GUID}{c}" for c in EDGE_WHITESPACE),
]


# -- SQL and Python agree -------------------------------------------------------------------


def test_python_and_sql_email_normalisation_agree_on_the_same_strings(app: psycopg.Connection) -> None:
    rows = app.execute(
        "select core.normalize_email(e) from unnest(%s::text[]) with ordinality u(e, n) order by n", (EMAILS,)
    ).fetchall()
    assert [r[0] for r in rows] == [normalize_email(e) for e in EMAILS]
    assert normalize_email("\u00a0Petr.Novak@Example.CZ\u2003") == "petr.novak@example.cz"
    assert [normalize_email(e) for e in ("", " ", "\t", "\r\n", "\u00a0", "\u2003", "\ufeff")] == [None] * 7
    assert normalize_email("petr novak@example.cz") == "petr novak@example.cz"  # inner spaces are not edges


def test_python_and_sql_guid_normalisation_agree_on_the_same_strings(app: psycopg.Connection) -> None:
    rows = app.execute(
        "select core.normalize_guid(g)::text from unnest(%s::text[]) with ordinality u(g, n) order by n", (GUIDS,)
    ).fetchall()
    assert [r[0] for r in rows] == [normalize_guid(g) for g in GUIDS]
    assert normalize_guid(f"  {UPPER_GUID}\t") == UPPER_GUID.lower()
    assert [normalize_guid(g) for g in ("", " ", "12345", "{a1b2c3d4-5b7d-11ee-8c99-0242ac120002}")] == [None] * 4


def test_normalize_email_file_equals_the_newest_migration_that_indexes_it() -> None:
    """Indexes store core.normalize_email's results: the function file may not drift from the
    migration that built them (a change needs a new migration that rebuilds the indexes)."""

    def definition(text: str) -> str:
        found = re.search(r"create or replace function core\.normalize_email.*?;\n", text, re.S)
        assert found, "no definition of core.normalize_email"
        return " ".join(found.group(0).split())

    migrations = sorted(
        p
        for p in (REPO_ROOT / "db" / "migrations").glob("*.sql")
        if "function core.normalize_email" in p.read_text(encoding="utf-8")
    )
    assert migrations, "no migration creates core.normalize_email"
    function_file = REPO_ROOT / "db" / "functions" / "core" / "normalize_email.sql"
    assert definition(function_file.read_text(encoding="utf-8")) == definition(
        migrations[-1].read_text(encoding="utf-8")
    )


def test_email_migration_normalises_stored_emails_and_keeps_one_owner_per_email(admin: psycopg.Connection) -> None:
    """Migration 0050 on data stored before it (lower(btrim()) indexes, messy e-mails)."""
    admin.execute("""
        drop index sales.customers_shop_email;
        create unique index customers_shop_email on sales.customers (shop_id, lower(btrim(email)))
            where email is not null and deleted_at is null;
        drop index sales.orders_email_history;
        create index orders_email_history on sales.orders (shop_id, lower(btrim(email)), created_at desc, code desc)
            where email is not null;
        drop view analytics.customer_metrics cascade;
        -- the metrics table as it was before 0050 (a view over analytics.customer_metrics_base since 0092)
        create table analytics.customer_metrics (
            shop_id bigint not null, customer_key text not null, orders_count integer not null,
            total_spent numeric(14,2) not null,
            constraint customer_metrics_key_normalised check (customer_key = lower(btrim(customer_key))))""")
    admin.execute("insert into core.shops (shop_id, name) values (1, 'old data')")
    admin.execute("""insert into sales.customers (shop_id, guid, email, changed_at) values
        (1, 'a1b2c3d4-5b7d-11ee-8c99-0242ac120001', E'Petr.Novak@Example.cz\u00a0', '2026-01-01'),
        (1, 'a1b2c3d4-5b7d-11ee-8c99-0242ac120002', 'petr.novak@example.cz', '2026-02-01'),
        (1, 'a1b2c3d4-5b7d-11ee-8c99-0242ac120003', ' Eva@Example.cz', null),
        (1, 'a1b2c3d4-5b7d-11ee-8c99-0242ac120004', E'\t', null)""")
    admin.execute("""insert into sales.orders (shop_id, code, created_at, email, total_with_vat) values
        (1, 'O-1', '2026-03-11', 'Petr.Novak@Example.cz', 499), (1, 'O-2', '2026-03-12', 'petr.novak@example.cz ', 499),
        (1, 'O-3', '2026-03-13', E'\tpetr.novak@example.cz', 499)""")
    admin.execute("""insert into analytics.customer_metrics (shop_id, customer_key, orders_count, total_spent) values
        (1, 'petr.novak@example.cz', 2, 998), (1, E'\tpetr.novak@example.cz', 1, 499)""")

    migration = REPO_ROOT / "db" / "migrations" / "0050_email_normalisation.sql"
    admin.execute(migration.read_text(encoding="utf-8").encode())

    assert admin.execute("select right(guid::text, 1), email from sales.customers order by guid").fetchall() == [
        ("1", None),
        ("2", "petr.novak@example.cz"),
        ("3", "eva@example.cz"),
        ("4", None),
    ]
    assert admin.execute("select distinct email from sales.orders").fetchall() == [("petr.novak@example.cz",)]
    assert admin.execute("select customer_key from analytics.customer_metrics").fetchall() == [
        ("petr.novak@example.cz",)
    ]
    assert len(admin.execute("select * from sales.email_orders_page(1, ' PETR.NOVAK@example.cz')").fetchall()) == 3
    indexes = admin.execute(
        "select indexdef from pg_indexes where indexname in ('customers_shop_email', 'orders_email_history')"
    ).fetchall()
    assert len(indexes) == 2 and all("normalize_email(email)" in i[0] for i in indexes), indexes


# -- through the snapshot import ---------------------------------------------------------------


def order(
    code: str,
    created: str,
    email: str | None,
    *,
    total: str = "499.00",
    customer_guid: str | None = None,
    product_guid: str | None = PRODUCT_GUID,
    **fields: Any,
) -> dict[str, Any]:
    """A guest order in Shoptet's detail shape: one product line, CZK, 21 % VAT."""
    cents = int(total.replace(".", ""))
    without = round(cents / 1.21)
    block = {
        "withVat": total,
        "withoutVat": f"{without // 100}.{without % 100:02d}",
        "vat": f"{(cents - without) // 100}.{(cents - without) % 100:02d}",
        "vatRate": "21.00",
    }
    return {
        "code": code,
        "guid": None,
        "creationTime": created,
        "changeTime": created,
        "email": email,
        "customerGuid": customer_guid,
        "cashDeskOrder": False,
        "status": {"id": -1, "name": "Nevyřízená"},
        "price": {
            "withVat": total,
            "withoutVat": block["withoutVat"],
            "vat": block["vat"],
            "toPay": total,
            "currencyCode": "CZK",
            "exchangeRate": "1.00000000",
        },
        "items": [
            {
                "itemId": 1,
                "itemType": "product",
                "productGuid": product_guid,
                "code": "HRNEK-1",
                "name": "Hrnek",
                "amount": "1.000",
                "itemPrice": dict(block),
                "unitPrice": dict(block),
            }
        ],
        **fields,
    }


def customer(guid: str, email: str, changed: str = "2026-03-10T10:15:00+0100") -> dict[str, Any]:
    return {
        "guid": guid,
        "creationTime": changed,
        "changeTime": changed,
        "billingAddress": {"fullName": "Petr Novák"},
        "accounts": [{"guid": None, "fullName": "Petr Novák", "email": email, "mainAccount": True}],
    }


def metrics_of(admin: psycopg.Connection, key: str) -> tuple[Any, ...] | None:
    return admin.execute(
        "select customer_key, orders_count, total_spent from analytics.customer_metrics "
        "where shop_id = %s and customer_key = %s",
        (SHOP, key),
    ).fetchone()


def test_three_spellings_of_a_guest_email_are_one_customer_with_three_orders(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    petr = ["Petr.Novak@Example.cz", "petr.novak@example.cz ", "\tpetr.novak@example.cz"]
    jana = ["\u00a0Jana.Dvorakova@Example.CZ\u2003", "jana.dvorakova@example.cz\r\n", "\ufeffJANA.DVORAKOVA@EXAMPLE.CZ"]
    sandbox.put(
        SHOP,
        "orders",
        [order(f"EMAIL-P{n}", f"2026-03-1{n}T10:15:00+0100", e) for n, e in enumerate(petr, 1)]
        + [order(f"EMAIL-J{n}", f"2026-03-2{n}T10:15:00+0100", e, total="100.00") for n, e in enumerate(jana, 1)],
        webhooks=False,
    )
    sandbox.put(
        SHOP,
        "customers",
        [customer("0d6e4c1a-3b2f-11ee-8c99-0242ac120003", "\u00a0Eva.Svobodova@Example.CZ\u3000")],
        webhooks=False,
    )
    assert import_entity(shop, db, "orders")["status"] == "completed"
    assert import_entity(shop, db, "customers")["status"] == "completed"

    found = admin.execute(
        "select code, email, total_with_vat from sales.email_orders_page(%s, 'petr.novak@example.cz')", (SHOP,)
    ).fetchall()
    assert sorted(found) == [(f"EMAIL-P{n}", "petr.novak@example.cz", Decimal("499.00")) for n in (1, 2, 3)]
    assert (
        len(
            admin.execute(
                "select * from sales.email_orders_page(%s, %s)", (SHOP, "\u00a0 PETR.Novak@EXAMPLE.cz\t")
            ).fetchall()
        )
        == 3
    )
    admin.execute("select analytics.refresh_customer_metrics(%s)", (SHOP,))
    assert metrics_of(admin, "petr.novak@example.cz") == ("petr.novak@example.cz", 3, Decimal("1497.00"))
    assert metrics_of(admin, "jana.dvorakova@example.cz") == ("jana.dvorakova@example.cz", 3, Decimal("300.00"))
    assert admin.execute(
        "select count(*) from analytics.customer_metrics where customer_key ~ '(novak|dvorakova)@'"
    ).fetchone() == (2,)
    eva = admin.execute(
        "select guid::text, email from sales.customer_by_email(%s, 'eva.svobodova@example.cz')", (SHOP,)
    ).fetchall()
    assert eva == [("0d6e4c1a-3b2f-11ee-8c99-0242ac120003", "eva.svobodova@example.cz")]


def snapshot_lines(job: dict[str, Any]) -> list[bytes]:
    """The lines of the job's result file, as the importer numbered them (from 1)."""
    return gzip.decompress(httpx.get(job["result_url"], timeout=30).content).split(b"\n")


def test_empty_and_non_uuid_guids_keep_the_order_with_a_warning_on_its_line(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.put(
        SHOP,
        "orders",
        [
            order("GUID-1", "2026-03-14T10:15:00+0100", "host@example.cz", customer_guid=""),
            order("GUID-2", "2026-03-15T10:15:00+0100", "guid@example.cz", product_guid="12345"),
            # chosen: a customerGuid of white space only (a guest), a shipping GUID in upper case
            # wrapped in spaces, an order guid and paymentMethod.guid that are no GUIDs
            order(
                "GUID-3",
                "2026-03-16T10:15:00+0100",
                "space@example.cz",
                customer_guid=" \t\u00a0",
                shipping={"guid": f"  {UPPER_GUID} ", "name": "PPL"},
                guid="not-a-guid",
                paymentMethod={"guid": "{a1b2c3d4-5b7d-11ee-8c99-0242ac120002}", "name": "Dobírka"},
            ),
        ],
        webhooks=False,
    )
    outcome = import_entity(shop, db, "orders")
    assert (outcome["status"], outcome["failed"], outcome["warnings"]) == ("completed", 0, 3)

    rows = admin.execute(
        "select code, guid, customer_guid::text, shipping_guid::text, payment_method_guid "
        "from sales.orders where shop_id = %s and code like 'GUID-%%' order by code",
        (SHOP,),
    ).fetchall()
    assert rows == [
        ("GUID-1", None, None, None, None),
        ("GUID-2", None, None, None, None),
        ("GUID-3", None, None, UPPER_GUID.lower(), None),
    ]
    items = admin.execute(
        "select order_code, product_guid::text, total_with_vat from sales.order_items "
        "where shop_id = %s and order_code in ('GUID-1', 'GUID-2') order by 1",
        (SHOP,),
    ).fetchall()
    assert items == [("GUID-1", PRODUCT_GUID, Decimal("499.00")), ("GUID-2", None, Decimal("499.00"))]

    job = snapshots.get_job(admin, outcome["job_id"])
    assert job is not None and (job["status"], job["failed_count"], job["warning_count"]) == ("completed", 0, 3)
    warnings = admin.execute(
        "select line_no, severity, field, error, raw_line from ingest.snapshot_failures "
        "where job_id = %s order by line_no, field",
        (outcome["job_id"],),
    ).fetchall()
    lines = snapshot_lines(job)
    by_field = {w[2]: w for w in warnings}
    assert sorted(by_field) == ["guid", "items[1].productGuid", "paymentMethod.guid"]
    assert all(w[1] == "warning" and w[4] is None for w in warnings)
    assert b'"code":"GUID-2"' in lines[by_field["items[1].productGuid"][0] - 1]
    assert (
        by_field["items[1].productGuid"][3]
        == "items[1].productGuid: '12345' is not a GUID (8-4-4-4-12 hex digits); stored as null"
    )
    assert b'"code":"GUID-3"' in lines[by_field["guid"][0] - 1]

    # only warnings: the full snapshot still infers deletions (an order gone at the source)
    gone = admin.execute(
        "select code from sales.orders where shop_id = %s and code not like 'GUID-%%' limit 1", (SHOP,)
    ).fetchone()[0]  # type: ignore[index]
    sandbox.remove(SHOP, "orders", [gone], webhooks=False)
    # (compare_all: a re-import skips unchanged lines before they are read into rows, and so
    # before their warnings; this one reads them all, to have a job with only warnings)
    again = import_entity(shop, db, "orders", compare_all=True)
    assert (again["status"], again["failed"], again["warnings"], again["deleted"]) == ("completed", 0, 3, 1)
    assert admin.execute(
        "select deleted_at is not null from sales.orders where shop_id = %s and code = %s", (SHOP, gone)
    ).fetchone() == (True,)

    assert cli.main(["snapshot", "list", "--shop", str(SHOP)]) == 0
    listed = capsys.readouterr().out
    assert re.search(rf"\b{again['job_id']}\b.*completed\s.*\s0\s+3\s", listed), listed
    assert cli.main(["snapshot", "show", str(again["job_id"])]) == 0
    shown = capsys.readouterr().out
    assert "bad lines" not in shown
    assert "warnings, lines imported without the field (first 3 of 3):" in shown
    assert "items[1].productGuid: '12345' is not a GUID" in shown


def test_upper_case_customer_guid_stays_alive_on_every_reimport_and_the_second_writes_nothing(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    spaced = "  0D6E4C1A-3b2f-11ee-8C99-0242ac1200aa\u00a0"  # chosen: mixed case wrapped in spaces
    sandbox.put(
        SHOP,
        "customers",
        [customer(UPPER_GUID, "upper.guid@example.cz"), customer(spaced, "spaced.guid@example.cz")],
        webhooks=False,
    )
    with client_for(shop) as client:
        generated = client.get("/api/products", {"itemsPerPage": 1})["products"][0]["guid"]
        product = client.get(f"/api/products/{generated}")
    # chosen: a product whose own GUID comes in upper case, with variants and a supplier GUID that is no GUID
    product.update(
        guid="B1B2C3D4-5B7D-11EE-8C99-0242AC120002",
        supplier={"guid": "12345", "name": "Dodavatel"},
        variants=[dict(v, code=f"UPPER-{n}") for n, v in enumerate(product.get("variants") or [{}], 1)],
    )
    sandbox.put(SHOP, "products", [product], webhooks=False)

    first = import_entity(shop, db, "customers")
    assert (first["status"], first["failed"], first["deleted"]) == ("completed", 0, 0)
    alive = (
        "select guid::text, email, deleted_at from sales.customers "
        "where shop_id = %s and guid = any (%s::uuid[]) order by email"
    )
    keys = [UPPER_GUID.lower(), "0d6e4c1a-3b2f-11ee-8c99-0242ac1200aa"]
    assert admin.execute(alive, (SHOP, keys)).fetchall() == [
        ("0d6e4c1a-3b2f-11ee-8c99-0242ac1200aa", "spaced.guid@example.cz", None),
        (UPPER_GUID.lower(), "upper.guid@example.cz", None),
    ]
    written = admin.execute("select max(synced_at), count(*) from sales.customers").fetchone()
    for _ in range(2):
        again = import_entity(shop, db, "customers")
        assert (again["status"], again["failed"], again["warnings"], again["deleted"]) == ("completed", 0, 0, 0)
        assert [r[2] for r in admin.execute(alive, (SHOP, keys)).fetchall()] == [None, None]
        assert admin.execute("select max(synced_at), count(*) from sales.customers").fetchone() == written

    products = import_entity(shop, db, "products")
    assert (products["status"], products["failed"], products["warnings"]) == ("completed", 0, 1)
    again = import_entity(shop, db, "products")
    assert (again["status"], again["deleted"]) == ("completed", 0)
    assert admin.execute(
        "select guid::text, supplier_guid, deleted_at from catalog.products where shop_id = %s "
        "and guid = 'b1b2c3d4-5b7d-11ee-8c99-0242ac120002'",
        (SHOP,),
    ).fetchall() == [("b1b2c3d4-5b7d-11ee-8c99-0242ac120002", None, None)]
    variants = admin.execute(
        "select distinct product_guid::text, deleted_at from catalog.variants "
        "where shop_id = %s and code like 'UPPER-%%'",
        (SHOP,),
    ).fetchall()
    assert variants == [("b1b2c3d4-5b7d-11ee-8c99-0242ac120002", None)]


def test_a_customer_whose_own_guid_is_not_a_guid_is_dead_lettered_with_a_clear_error(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    sandbox.put(
        SHOP,
        "customers",
        [customer("12345", "key@example.cz"), customer(UPPER_GUID, "upper.guid@example.cz")],
        webhooks=False,
    )
    outcome = import_entity(shop, db, "customers")
    assert (outcome["status"], outcome["failed"]) == ("completed_with_errors", 1)
    failure = admin.execute(
        'select severity, field, error, raw_line like \'%%"guid":"12345"%%\' '
        "from ingest.snapshot_failures where job_id = %s",
        (outcome["job_id"],),
    ).fetchall()
    assert failure == [
        (
            "error",
            "",
            "guid: '12345' is not a GUID (8-4-4-4-12 hex digits); it is the customer's key, "
            "so the line cannot be imported",
            True,
        )
    ]
    assert admin.execute(
        "select count(*) from sales.customers where shop_id = %s and guid = %s", (SHOP, UPPER_GUID.lower())
    ).fetchone() == (1,)


# -- through `hub sync` ------------------------------------------------------------------------


class Records(logging.Handler):
    """Keeps the records of one logger (`hub` reconfigures the root logger's handlers)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_hub_sync_applies_odd_guids_logs_a_warning_per_field_and_deletes_by_an_upper_case_guid(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    import_entity(shop, db, "orders")
    import_entity(shop, db, "customers")
    now = fmt_dt(time.time())
    sandbox.put(
        SHOP,
        "orders",
        [order("SYNC-1", now, "Petr.Novak@Example.cz\u00a0", customer_guid="", product_guid="12345")],
        webhooks=False,
    )
    sandbox.put(SHOP, "customers", [customer(UPPER_GUID, "\tUpper.Guid@Example.cz", now)], webhooks=False)
    kept = Records()
    logging.getLogger("hub.ingest").addHandler(kept)
    try:
        assert cli.main(["sync", "--shop", str(SHOP), "--entity", "all"]) == 0
    finally:
        logging.getLogger("hub.ingest").removeHandler(kept)
    assert admin.execute(
        "select email, customer_guid from sales.orders where shop_id = %s and code = 'SYNC-1'", (SHOP,)
    ).fetchall() == [("petr.novak@example.cz", None)]
    assert admin.execute(
        "select product_guid from sales.order_items where shop_id = %s and order_code = 'SYNC-1'", (SHOP,)
    ).fetchall() == [(None,)]
    assert admin.execute(
        "select email, deleted_at from sales.customers where shop_id = %s and guid = %s", (SHOP, UPPER_GUID.lower())
    ).fetchall() == [("upper.guid@example.cz", None)]
    warned = [json.loads(_Formatter(as_json=True).format(r)) for r in kept.records]
    assert [{k: w[k] for k in ("event", "shop_id", "entity", "entity_key", "field")} for w in warned] == [
        {
            "event": "document applied without a field",
            "shop_id": SHOP,
            "entity": "orders",
            "entity_key": "SYNC-1",
            "field": "items[1].productGuid",
        }
    ]

    sandbox.remove(SHOP, "customers", [UPPER_GUID], webhooks=False)  # the change list names it in upper case
    assert cli.main(["sync", "--shop", str(SHOP), "--entity", "customers"]) == 0
    deleted = admin.execute(
        "select deleted_at is not null from sales.customers where shop_id = %s and guid = %s",
        (SHOP, UPPER_GUID.lower()),
    ).fetchone()
    assert deleted == (True,)


def test_shoptet_times_parse_with_their_offset_and_a_time_without_one_is_refused() -> None:
    """client.parse_datetime (datetime.fromisoformat since Python 3.11): Shoptet's `+0200`, the
    extended `+02:00`, `Z` and fractions of a second; a time without an offset is no moment."""
    from datetime import UTC, datetime, timedelta, timezone

    from runner.shoptet.client import parse_datetime

    moment = datetime(2018, 5, 29, 7, 2, 27, tzinfo=UTC)
    for text in ("2018-05-29T09:02:27+0200", "2018-05-29T09:02:27+02:00", "2018-05-29T07:02:27Z"):
        assert parse_datetime(text) == moment, text
    assert parse_datetime("2018-05-29T09:02:27+0200").utcoffset() == timedelta(hours=2)  # type: ignore[union-attr]
    assert parse_datetime("2018-05-29T09:02:27.250-0530") == datetime(
        2018, 5, 29, 9, 2, 27, 250000, tzinfo=timezone(-timedelta(hours=5, minutes=30))
    )
    assert parse_datetime(None) is None and parse_datetime("") is None
    for bad in ("2018-05-29T09:02:27", "2018-05-29", "29.5.2018 09:02", "yesterday"):
        with pytest.raises(ValueError):
            parse_datetime(bad)
