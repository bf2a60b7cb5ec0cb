"""The overview page shows what `hub translate draft` warns about: translations made for a language no
connected shop sells in (catalog.translation_language_warnings), with the CLI's own wording, until
the language is there or the translation is synced."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator

import psycopg
import pytest
from starlette.testclient import TestClient

from dashboard_helpers import set_password, sign_in
from runner import cli
from runner.config import Config
from runner.db import Target
from runner.web import create_app

MASTER, SECOND = 700101, 700102
GUID = "7c000000-0000-4000-8000-000000000001"
HEADING = "Translations a sync will refuse"


@pytest.fixture
def shops(admin: psycopg.Connection) -> None:
    """A master (cs) and its shop (sk default, en), one product with its cs name."""
    admin.execute("insert into core.shops (shop_id, name, is_master) values (%s, 'master', true)", (MASTER,))
    admin.execute("insert into core.shops (shop_id, name, master_shop_id) values (%s, 'second', %s)", (SECOND, MASTER))
    admin.execute('select catalog.store_shop_languages(%s, \'{"settings": {"eshopLanguage": "cs"}}\')', (MASTER,))
    admin.execute(
        "select catalog.store_shop_languages(%s, %s::jsonb)",
        (SECOND, json.dumps({"languages": [{"code": "sk", "isDefault": True}, {"code": "en", "isDefault": False}]})),
    )
    admin.execute(
        "insert into catalog.products (shop_id, guid, name) values (%s, %s, 'Dubový stůl'), (%s, %s, 'Dubový stůl')",
        (MASTER, GUID, SECOND, GUID),
    )
    admin.execute(
        "insert into catalog.product_texts (shop_id, product_guid, language, field, value) "
        "values (%s, %s, 'cs', 'name', 'Dubový stůl')",
        (MASTER, GUID),
    )


@pytest.fixture
def client(db: Target, hub_env: dict[str, str]) -> Iterator[TestClient]:
    set_password(db.app, hub_env["HUB_SECRET_KEY"])
    with TestClient(create_app(Config.from_env(), db)) as c:
        sign_in(c)
        yield c


def _draft(capsys: pytest.CaptureFixture[str], language: str, *target: str) -> tuple[int, str]:
    argv = ["translate", "draft", "--shop", str(MASTER), "--product", GUID, "--field", "name", "--language", language]
    assert cli.main([*argv, "--text", "Oak table", "--by", "eva", "--json", *target]) == 0
    out = capsys.readouterr().out
    return int(json.loads(out)["id"]), json.loads(out).get("warning") or ""


def _overview(client: TestClient) -> str:
    r = client.get("/", headers={"accept": "text/html"})
    assert r.status_code == 200
    return html.unescape(r.text)


def test_the_overview_shows_the_draft_language_warning_the_cli_gives(
    shops: None, client: TestClient, admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    # a language a shop of the master has: no warning anywhere
    _, warning = _draft(capsys, "en")
    assert warning == ""
    assert HEADING not in _overview(client)

    # de: no shop of the master has it; en for the master itself (cs only)
    de_id, de_warning = _draft(capsys, "de")
    en_id, en_warning = _draft(capsys, "en", "--target-shop", str(MASTER))
    assert f"no shop of master {MASTER} has language de" in de_warning
    assert f"shop {MASTER} has no language en" in en_warning
    page = _overview(client)
    assert HEADING in page
    assert de_warning in page and en_warning in page  # the CLI's words
    section = page[page.index(HEADING) : page.index("<h2>Backups</h2>")]
    assert f"<td>{de_id}</td>" in section and f"<td>{en_id}</td>" in section
    assert "every shop" in section and f'shop <a href="/shops/{MASTER}">#{MASTER}</a>' in section

    # the master gets de: that warning goes; a synced translation is no longer warned about
    admin.execute(
        "select catalog.store_shop_languages(%s, %s::jsonb)",
        (MASTER, json.dumps({"languages": [{"code": "cs", "isDefault": True}, {"code": "de", "isDefault": False}]})),
    )
    page = _overview(client)
    assert de_warning not in page and "has language de" not in page and en_warning.split(" (")[0] in page
    assert cli.main(["translate", "review", str(en_id), "--by", "eva"]) == 0
    assert cli.main(["translate", "approve", str(en_id), "--by", "bob"]) == 0
    assert HEADING in _overview(client)  # approved: a sync would still refuse it
    admin.execute("update catalog.translations set status = 'synced', synced_at = now() where id = %s", (en_id,))
    assert HEADING not in _overview(client)
