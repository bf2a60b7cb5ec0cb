"""Translations without Shoptet (issue 19): the translation memory's exact and fuzzy matches, XLIFF
export/import round trips (HTML intact), malformed files refused with line and reason, machine
translation through a local fake DeepL over HTTP with its budget, and the `hub translate` CLI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest

from runner import cli
from runner.db import Target
from runner.settings import Settings
from runner.translations import mt, workflow, xliff

MASTER, SECOND = 700001, 700002
KEY = "test-secret-key-translations-0001"
HTML = '<p>Dubový <b>stůl</b> &amp; <a href="/stoly?a=1&amp;b=2">židle</a><br/></p>'


def guid(n: int) -> str:
    return f"7b000000-0000-4000-8000-{n:012d}"


@pytest.fixture
def catalogue(admin: psycopg.Connection) -> dict[int, str]:
    """A master (cs) and its shop (sk default, en) with products and their cs texts."""
    admin.execute("insert into core.shops (shop_id, name, is_master) values (%s, 'master', true)", (MASTER,))
    admin.execute("insert into core.shops (shop_id, name, master_shop_id) values (%s, 'second', %s)", (SECOND, MASTER))
    admin.execute('select catalog.store_shop_languages(%s, \'{"settings": {"eshopLanguage": "cs"}}\')', (MASTER,))
    admin.execute(
        "select catalog.store_shop_languages(%s, %s::jsonb)",
        (SECOND, json.dumps({"languages": [{"code": "sk", "isDefault": True}, {"code": "en", "isDefault": False}]})),
    )
    names = {
        1: "Dubový stůl se šuplíkem",
        2: "Dubový stůl se šuplíkem",  # the same text: an exact memory match
        3: "Dubový stůl se dvěma šuplíky",  # similar: a fuzzy match
        4: "Zahradní lehátko",  # unlike anything
        5: "Kovová police",
    }
    for n, name in names.items():
        admin.execute(
            "insert into catalog.products (shop_id, guid, name) values (%s, %s, %s), (%s, %s, %s)",
            (MASTER, guid(n), name, SECOND, guid(n), name),
        )
        admin.execute(
            "insert into catalog.product_texts (shop_id, product_guid, language, field, value) "
            "values (%s, %s, 'cs', 'name', %s), (%s, %s, 'cs', 'description', %s)",
            (MASTER, guid(n), name, MASTER, guid(n), HTML.replace("stůl", f"stůl {n}")),
        )
    return names


def _approve(app: psycopg.Connection, ids: list[int]) -> None:
    workflow.step(app, "review", ids, "eva")
    workflow.step(app, "approve", ids, "bob")


def test_memory_offers_exact_and_fuzzy_matches_with_their_similarity(
    app: psycopg.Connection, admin: psycopg.Connection, catalogue: dict[int, str]
) -> None:
    first = workflow.draft(
        app,
        master_shop_id=MASTER,
        product_guid=guid(1),
        field="name",
        language="en",
        text="Oak table with a drawer",
        changed_by="eva",
    )
    html = workflow.draft(
        app,
        master_shop_id=MASTER,
        product_guid=guid(1),
        field="description",
        language="en",
        text=HTML.replace("Dubový", "Oak").replace("stůl", "table 1"),
        changed_by="eva",
    )
    _approve(app, [first, html])
    memory = admin.execute(
        "select source_text, target_text from catalog.translation_memory order by source_text"
    ).fetchall()
    assert ("Dubový stůl se šuplíkem", "Oak table with a drawer") in memory
    assert (HTML.replace("stůl", "stůl 1"), HTML.replace("Dubový", "Oak").replace("stůl", "table 1")) in memory

    # exact: a draft without text takes the memory's translation
    second = workflow.draft(
        app, master_shop_id=MASTER, product_guid=guid(2), field="name", language="en", text=None, changed_by="eva"
    )
    row = app.execute("select text, origin, status from catalog.translations where id = %s", (second,)).fetchone()
    assert row == ("Oak table with a drawer", "memory", "draft")
    # no match, no text: refused with the reason
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="no translation memory match"):
        workflow.draft(
            app, master_shop_id=MASTER, product_guid=guid(4), field="name", language="en", text=None, changed_by="eva"
        )

    # fuzzy: offered with pg_trgm's similarity, when at least the setting (default 0.7)
    expected = admin.execute("select similarity('Dubový stůl se šuplíkem', 'Dubový stůl se dvěma šuplíky')").fetchone()
    assert expected is not None
    matches = workflow.memory_matches(app, "cs", "en", "Dubový stůl se dvěma šuplíky")
    if expected[0] >= 0.7:
        assert [(m["target_text"], m["exact"]) for m in matches] == [("Oak table with a drawer", False)]
        assert matches[0]["similarity"] == pytest.approx(expected[0])
    else:
        assert matches == []
    admin.execute("select core.setting_set('translations.memory_similarity', '0.3'::jsonb)")
    matches = workflow.memory_matches(app, "cs", "en", "Dubový stůl se dvěma šuplíky")
    assert [m["target_text"] for m in matches] == ["Oak table with a drawer"]
    assert matches[0]["similarity"] == pytest.approx(expected[0])
    assert workflow.memory_matches(app, "cs", "en", "Zahradní lehátko") == []
    exact = workflow.memory_matches(app, "cs", "en", "Dubový stůl se šuplíkem")
    assert [(m["similarity"], m["exact"]) for m in exact] == [(1.0, True)]

    # the worklist shows the best match of each translation's source with its similarity
    third = workflow.draft(
        app,
        master_shop_id=MASTER,
        product_guid=guid(3),
        field="name",
        language="en",
        text="Oak table",
        changed_by="eva",
    )
    rows = {r["id"]: r for r in workflow.worklist(app, language="en", status="draft", master_shop_id=None)}
    assert rows[third]["memory_text"] == "Oak table with a drawer"
    assert rows[third]["memory_similarity"] == pytest.approx(expected[0])
    # HTML comes out of the memory with its tags as they went in
    tagged = workflow.memory_matches(app, "cs", "en", HTML.replace("stůl", "stůl 1"))
    assert tagged[0]["target_text"] == HTML.replace("Dubový", "Oak").replace("stůl", "table 1")


def _drafts(app: psycopg.Connection, catalogue: dict[int, str]) -> list[int]:
    ids = []
    for n in catalogue:
        ids.append(
            workflow.draft(
                app,
                master_shop_id=MASTER,
                product_guid=guid(n),
                field="name",
                language="en",
                text=f"Product {n}",
                changed_by="eva",
            )
        )
        ids.append(
            workflow.draft(
                app,
                master_shop_id=MASTER,
                product_guid=guid(n),
                field="description",
                language="en",
                text=HTML.replace("Dubový", f"Oak {n}"),
                changed_by="eva",
            )
        )
    return ids


def _state(admin: psycopg.Connection) -> Any:
    return (
        admin.execute("select id, status, text, origin, changed_at from catalog.translations order by id").fetchall(),
        admin.execute("select count(*) from catalog.translation_events").fetchone(),
    )


@pytest.mark.parametrize("fmt", ["1.2", "2.0"])
def test_xliff_round_trip_changes_nothing_and_keeps_html_tags(
    fmt: str, app: psycopg.Connection, admin: psycopg.Connection, catalogue: dict[int, str]
) -> None:
    ids = _drafts(app, catalogue)
    before = _state(admin)
    data, units = xliff.export(app, language="en", statuses=["draft"], fmt=fmt)
    assert units == len(ids)
    result = xliff.import_file(app, data, changed_by="translator")
    assert result.as_dict() == {"units": len(ids), "changed": 0, "unchanged": len(ids), "empty": 0}
    assert _state(admin) == before

    # a translator changes one HTML text in the CAT tool: it comes back as a draft, tags intact
    html_id = ids[1]
    old = admin.execute("select text from catalog.translations where id = %s", (html_id,)).fetchone()
    assert old is not None
    new_text = old[0].replace("Oak 1", "Solid oak 1")
    escaped_old = old[0].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped_new = new_text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert data.decode().count(escaped_old) == 1
    edited = data.decode().replace(escaped_old, escaped_new).encode()
    result = xliff.import_file(app, edited, changed_by="translator")
    assert (result.changed, result.unchanged) == (1, len(ids) - 1)
    row = admin.execute(
        "select text, origin, status, changed_by from catalog.translations where id = %s", (html_id,)
    ).fetchone()
    assert row == (new_text, "xliff", "draft", "translator")
    assert '<a href="/stoly?a=1&amp;b=2">' in new_text and "<br/>" in new_text


def test_malformed_xliff_is_refused_with_line_and_reason_and_nothing_applied(
    tmp_path: Path, app: psycopg.Connection, admin: psycopg.Connection, catalogue: dict[int, str]
) -> None:
    ids = _drafts(app, catalogue)
    data, _ = xliff.export(app, language="en", statuses=["draft"])
    text = data.decode()
    # a good change in the first unit, so that "nothing applied" can fail
    changed = text.replace(">Product 1<", ">Product one<", 1)
    before = _state(admin)

    lines = changed.splitlines()
    broken_at = next(i for i, line in enumerate(lines, 1) if ">Product 3<" in line)
    lines[broken_at - 1] = lines[broken_at - 1].replace("</target>", "</targe>")
    with pytest.raises(xliff.XliffError, match=rf"^bad\.xlf:{broken_at}: malformed XML: .*targe") as exc:
        xliff.import_file(app, "\n".join(lines).encode(), changed_by="t", where="bad.xlf")
    assert f"bad.xlf:{broken_at}:" in str(exc.value)
    assert _state(admin) == before

    # well-formed, but a unit names no translation of the hub: its line, nothing applied
    lines = changed.splitlines()
    unit_at = next(i for i, line in enumerate(lines, 1) if f'id="{ids[6]}"' in line)
    lines[unit_at - 1] = lines[unit_at - 1].replace(f'id="{ids[6]}"', 'id="999999"')
    with pytest.raises(xliff.XliffError, match=rf"^f\.xlf:{unit_at}: unit 999999: no such translation"):
        xliff.import_file(app, "\n".join(lines).encode(), changed_by="t", where="f.xlf")
    assert _state(admin) == before

    # a target too long for Shoptet (name <= 250): the unit's line and the database's reason
    long_name = "x" * 251
    lines = changed.replace(">Product 5<", f">{long_name}<", 1).splitlines()
    unit_at = next(i for i, line in enumerate(lines, 1) if f'id="{ids[8]}"' in line)
    with pytest.raises(xliff.XliffError, match=rf"^f\.xlf:{unit_at}: unit {ids[8]}: .*at most 250"):
        xliff.import_file(app, "\n".join(lines).encode(), changed_by="t", where="f.xlf")
    assert _state(admin) == before

    # not XLIFF at all; inline markup in a target
    with pytest.raises(xliff.XliffError, match=r"^f\.xlf:1: not an XLIFF document"):
        xliff.import_file(app, b"<html><body/></html>", changed_by="t", where="f.xlf")
    marked = changed.replace(">Product 2<", "><g id='1'>Product</g> 2<", 1)
    with pytest.raises(xliff.XliffError, match=r"<g> inside <target>: inline markup"):
        xliff.import_file(app, marked.encode(), changed_by="t", where="f.xlf")
    assert _state(admin) == before

    # the same file through the CLI: refused with line and reason, exit status 1
    bad = tmp_path / "bad.xlf"
    bad.write_text(text.replace("</xliff>", ""), encoding="utf-8")
    assert cli.main(["translate", "import", str(bad), "--by", "t"]) == 1
    assert _state(admin) == before


@pytest.mark.parametrize("text", ["", "   ", "\u00a0\n"])
def test_an_empty_or_blank_translation_is_refused_naming_product_field_and_language(
    text: str, app: psycopg.Connection, admin: psycopg.Connection, catalogue: dict[int, str]
) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue) as exc:
        workflow.draft(
            app, master_shop_id=MASTER, product_guid=guid(1), field="name", language="en", text=text, changed_by="eva"
        )
    message = exc.value.diag.message_primary or ""
    assert guid(1) in message and " name" in message and "en text is empty" in message
    app.rollback()
    assert admin.execute("select count(*) from catalog.translations").fetchone() == (0,)


@pytest.mark.parametrize("fmt", ["1.2", "2.0"])
def test_xliff_never_marks_an_empty_target_translated_and_refuses_a_blank_one(
    fmt: str, app: psycopg.Connection, admin: psycopg.Connection, catalogue: dict[int, str]
) -> None:
    ids = _drafts(app, catalogue)
    # an empty text stored before drafts refused it
    admin.execute("update catalog.translations set text = '' where id = %s", (ids[0],))
    data, _ = xliff.export(app, language="en", statuses=["draft"], fmt=fmt)
    text = data.decode()
    unit = text[text.index(f'id="{ids[0]}"') :]
    unit = unit[: unit.index("</trans-unit>" if fmt == "1.2" else "</unit>")]
    untranslated = 'state="needs-translation"' if fmt == "1.2" else 'state="initial"'
    assert untranslated in unit and 'state="translated"' not in unit
    other = text[text.index(f'id="{ids[2]}"') :]
    assert 'state="translated"' in other[: other.index("</trans-unit>" if fmt == "1.2" else "</unit>")]

    before = _state(admin)
    lines = text.replace(">Product 3<", ">   <", 1).splitlines()
    unit_at = next(i for i, line in enumerate(lines, 1) if f'id="{ids[4]}"' in line)
    with pytest.raises(xliff.XliffError, match=rf"^f\.xlf:{unit_at}: unit {ids[4]}: .*name: the en text is empty"):
        xliff.import_file(app, "\n".join(lines).encode(), changed_by="t", where="f.xlf")
    assert _state(admin) == before


class FakeDeepL(BaseHTTPRequestHandler):
    """DeepL's POST /v2/translate: prefixes each text with [TARGET] (tags untouched)."""

    calls: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if self.headers.get("Authorization") != "DeepL-Auth-Key fake-key":
            self.send_response(403)
            self.end_headers()
            return
        out = {
            "translations": [
                {"detected_source_language": "CS", "text": f"[{body['target_lang']}] {t}"} for t in body["text"]
            ]
        }
        raw = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_deepl() -> Iterator[str]:
    FakeDeepL.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeDeepL)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_machine_translation_drafts_within_the_monthly_budget(
    db: Target,
    app: psycopg.Connection,
    admin: psycopg.Connection,
    catalogue: dict[int, str],
    fake_deepl: str,
    hub_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Settings(db.app, secret_key=KEY, listen=False) as settings:
        # none enabled by default
        with pytest.raises(mt.MachineTranslationError, match="machine translation is off"):
            mt.machine_translate(
                app, settings, master_shop_id=MASTER, language="en", items=[(guid(1), "name")], changed_by="mt"
            )
        settings.set("translations.mt.provider", "deepl")
        settings.set("translations.mt.deepl.url", fake_deepl)
        settings.set_secret("translations.mt.deepl.key", "fake-key")
        names = len(catalogue[1]) + len(catalogue[4])
        html = len(
            admin.execute(
                "select value from catalog.product_texts "
                "where shop_id = %s and product_guid = %s and field = 'description'",
                (MASTER, guid(1)),
            ).fetchone()[0]
        )  # type: ignore[index]
        settings.set("translations.mt.deepl.monthly_characters", names + html + 10)
        settings.set("translations.mt.deepl.requests_per_second", 50)

        result = mt.machine_translate(
            app,
            settings,
            master_shop_id=MASTER,
            language="en",
            items=[(guid(1), "name"), (guid(4), "name"), (guid(1), "description")],
            changed_by="mt",
        )
        assert (len(result.drafted), result.characters, result.requests) == (3, names + html, 2)
        rows = admin.execute(
            "select product_guid::text, field, status, origin, text from catalog.translations order by id"
        ).fetchall()
        assert rows == [
            (guid(1), "name", "draft", "machine:deepl", f"[EN] {catalogue[1]}"),
            (guid(4), "name", "draft", "machine:deepl", f"[EN] {catalogue[4]}"),
            (guid(1), "description", "draft", "machine:deepl", "[EN] " + HTML.replace("stůl", "stůl 1")),
        ]
        assert [c["auth"] for c in FakeDeepL.calls] == ["DeepL-Auth-Key fake-key"] * 2
        assert [c["body"].get("tag_handling") for c in FakeDeepL.calls] == [None, "html"]
        usage = admin.execute("select provider, shop_id, characters, requests from catalog.mt_usage").fetchall()
        assert usage == [("deepl", MASTER, names + html, 2)]

        # the budget is spent: refused with the figures, nothing sent, nothing counted
        with pytest.raises(
            mt.MachineTranslationError,
            match=rf"budget spent: provider deepl for shop {MASTER} .* "
            rf"used {names + html} of {names + html + 10}",
        ):
            mt.machine_translate(
                app, settings, master_shop_id=MASTER, language="en", items=[(guid(5), "name")], changed_by="mt"
            )
        assert len(FakeDeepL.calls) == 2
        assert admin.execute("select characters, requests from catalog.mt_usage").fetchone() == (names + html, 2)

    # `hub translate status` shows the usage
    assert cli.main(["translate", "status", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["machine_translation"][0]["characters"] == names + html
    assert {(c["language"], c["status"], c["translations"]) for c in shown["counts"]} == {("en", "draft", 3)}


def test_cli_worklist_export_import_approve(
    tmp_path: Path,
    hub_env: dict[str, str],
    app: psycopg.Connection,
    admin: psycopg.Connection,
    catalogue: dict[int, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        cli.main(
            [
                "translate",
                "draft",
                "--shop",
                str(MASTER),
                "--product",
                guid(1),
                "--field",
                "name",
                "--language",
                "en",
                "--text",
                "Oak table",
                "--by",
                "eva",
                "--json",
            ]
        )
        == 0
    )
    tid = json.loads(capsys.readouterr().out)["id"]
    assert cli.main(["translate", "worklist", "--language", "en", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [tid]
    out = tmp_path / "en.xlf"
    assert cli.main(["translate", "export", "--language", "en", "--output", str(out)]) == 0
    capsys.readouterr()
    out.write_text(out.read_text(encoding="utf-8").replace(">Oak table<", ">Oak desk<"), encoding="utf-8")
    assert cli.main(["translate", "import", str(out), "--by", "tom", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] == 1
    # draft -> approved is refused (exit 1, both states named); review first
    assert cli.main(["translate", "approve", str(tid), "--by", "bob"]) == 1
    assert "draft -> approved is not allowed" in capsys.readouterr().err
    assert cli.main(["translate", "review", str(tid), "--by", "eva"]) == 0
    assert cli.main(["translate", "approve", "--language", "en", "--by", "bob"]) == 0
    row = admin.execute("select status, text, changed_by from catalog.translations where id = %s", (tid,)).fetchone()
    assert row == ("approved", "Oak desk", "bob")
    events = admin.execute(
        "select from_status, to_status, changed_by from catalog.translation_events "
        "where translation_id = %s order by id",
        (tid,),
    ).fetchall()
    assert events == [
        (None, "draft", "eva"),
        ("draft", "draft", "tom"),
        ("draft", "review", "eva"),
        ("review", "approved", "bob"),
    ]


def test_a_draft_for_a_language_no_target_shop_has_is_warned_about_at_once(
    hub_env: dict[str, str],
    app: psycopg.Connection,
    catalogue: dict[int, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    def draft(language: str, *target: str) -> tuple[str, str]:
        argv = ["translate", "draft", "--shop", str(MASTER), "--product", guid(1), "--field", "name"]
        assert cli.main([*argv, "--language", language, "--text", "Oak", "--by", "eva", *target]) == 0
        captured = capsys.readouterr()
        return captured.out, captured.err

    # en: the second shop has it; no warning
    out, err = draft("en")
    assert out.startswith("translation ") and err == ""
    # de: no shop of the master has it; stored as a draft all the same, with the languages there are
    out, err = draft("de")
    assert out.endswith(": draft\n")
    assert f"no shop of master {MASTER} has language de (their languages: cs, en, sk)" in err
    # en for the master itself (cs only)
    _, err = draft("en", "--target-shop", str(MASTER))
    assert f"shop {MASTER} has no language en (its languages: cs)" in err
    _, err = draft("en", "--target-shop", str(SECOND))
    assert err == ""


def test_a_refused_step_prints_the_message_not_the_plpgsql_trace(
    hub_env: dict[str, str],
    app: psycopg.Connection,
    catalogue: dict[int, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["translate", "draft", "--shop", str(MASTER), "--product", guid(1), "--field", "name", "--language", "en"]
    assert cli.main([*argv, "--text", "Oak", "--by", "eva", "--json"]) == 0
    tid = json.loads(capsys.readouterr().out)["id"]
    assert cli.main(["translate", "approve", str(tid), "--by", "bob"]) == 1
    err = capsys.readouterr().err
    assert f"translation {tid}: draft -> approved is not allowed" in err
    assert "CONTEXT" not in err and "PL/pgSQL" not in err and "SQL statement" not in err
    # a refused draft: the function's message only
    assert cli.main([*argv, "--text", " ", "--by", "eva"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hub: error: product ") and "the en text is empty" in err and "PL/pgSQL" not in err


def test_export_with_nothing_matching_says_so_and_writes_a_valid_file(
    tmp_path: Path,
    hub_env: dict[str, str],
    app: psycopg.Connection,
    catalogue: dict[int, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "de.xlf"
    assert cli.main(["translate", "export", "--language", "de", "--output", str(out)]) == 0
    err = capsys.readouterr().err
    assert "no translations to de in state draft, stale: the file has no units" in err
    assert xliff.parse(out.read_bytes())[1] == []  # still XLIFF, importable as a no-op
    assert cli.main(["translate", "export", "--language", "de"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("<?xml") and "no translations to de" in captured.err
