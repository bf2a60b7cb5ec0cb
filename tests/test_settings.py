"""Settings: typed values, encrypted secrets, cache dropped by NOTIFY across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import psycopg
import pytest

from runner import cli
from runner.db import Target
from runner.settings import SettingError, Settings, SettingTypeError

KEY = "test-secret-key-0123456789"


@pytest.fixture
def settings(db: Target) -> Iterator[Settings]:
    with Settings(db.app, secret_key=KEY, ttl=60) as s:
        assert s.caching
        yield s


@pytest.fixture
def shop(admin: psycopg.Connection) -> int:
    admin.execute("insert into core.shops (shop_id, name) values (42, 'Shop 42')")
    return 42


def test_typed_values_round_trip(settings: Settings) -> None:
    settings.set("a.text", "hello")
    settings.set("a.int", 300)
    settings.set("a.bool", False)
    settings.set_json("a.json", {"list": [1, 2], "nested": {"x": None}})
    assert settings.get("a.text") == "hello"
    assert settings.get("a.int") == 300
    assert settings.get("a.bool") is False
    assert settings.get_json("a.json") == {"list": [1, 2], "nested": {"x": None}}
    assert settings.get("a.missing", "dflt") == "dflt"
    assert settings.has("a.int") and not settings.has("a.missing")


def test_value_of_wrong_type_is_rejected(settings: Settings, app: psycopg.Connection) -> None:
    with pytest.raises(SettingTypeError, match="a.int: 'x' is not of type integer"):
        settings.set("a.int", "x", value_type="integer")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="is not of type boolean"):
        app.execute("select core.setting_set('a.b', '1', null, 'boolean')")
    with pytest.raises(SettingError, match="check constraint|settings_key_format"):
        settings.set("Bad Key", "x")


def test_shop_value_overrides_global_and_delete_exposes_it_again(settings: Settings, shop: int) -> None:
    settings.set("feed.title", "Global")
    assert settings.get("feed.title", shop_id=shop) == "Global"
    settings.set("feed.title", "Shop's own", shop_id=shop)
    assert settings.get("feed.title", shop_id=shop) == "Shop's own"
    assert settings.get("feed.title") == "Global"
    assert settings.delete("feed.title", shop_id=shop) is True
    assert settings.get("feed.title", shop_id=shop) == "Global"
    assert settings.delete("feed.title", shop_id=shop) is False


def test_secret_is_never_stored_in_plaintext(settings: Settings, admin: psycopg.Connection) -> None:
    plaintext = "shoptet-private-token-5f2a9c"
    settings.set_secret("shoptet.token", plaintext)
    assert settings.get_secret("shoptet.token") == plaintext
    raw = admin.execute("select to_jsonb(s)::text, encode(secret, 'escape') from core.settings s").fetchall()
    assert raw and all(plaintext not in (cell or "") for row in raw for cell in row)
    with pytest.raises(SettingError, match="is a secret"):
        settings.get("shoptet.token")


def test_secret_set_with_cli_is_not_plaintext_in_the_row(
    hub_env: dict[str, str], admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    plaintext = "cli-secret-value-771"
    assert cli.main(["settings", "set", "shoptet.token", plaintext, "--secret"]) == 0
    row = admin.execute(
        "select s::text, value, secret, is_secret from core.settings s where key = 'shoptet.token'"
    ).fetchone()
    assert row is not None and row[3] is True and row[1] is None
    assert plaintext not in row[0] and plaintext.encode() not in bytes(row[2])
    assert cli.main(["settings", "list"]) == 0
    out = capsys.readouterr().out
    assert "********" in out and plaintext not in out
    assert cli.main(["settings", "get", "shoptet.token", "--secret"]) == 0
    assert capsys.readouterr().out.strip() == plaintext


def test_cli_get_of_a_secret_without_secret_says_to_add_secret(
    hub_env: dict[str, str], shop: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["settings", "set", "shoptet.token", "global-one", "--secret"]) == 0
    assert cli.main(["settings", "set", "shoptet.token", "shop-one", "--secret", "--shop", "42"]) == 0
    capsys.readouterr()

    assert cli.main(["settings", "get", "shoptet.token"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "hub: error: setting shoptet.token is a secret: add --secret to decrypt and print it "
        "(hub settings get shoptet.token --secret)"
    )
    assert "core.setting_get_secret" not in err
    # the shop's own secret: the remedy keeps --shop
    assert cli.main(["settings", "get", "shoptet.token", "--shop", "42"]) == 1
    assert capsys.readouterr().err.strip() == (
        "hub: error: setting shoptet.token is a secret: add --secret to decrypt and print it "
        "(hub settings get shoptet.token --shop 42 --secret)"
    )
    assert cli.main(["settings", "get", "shoptet.token", "--shop", "42", "--secret"]) == 0
    assert capsys.readouterr().out.strip() == "shop-one"


def test_cli_set_of_a_null_value_names_hub_settings_delete(
    hub_env: dict[str, str], shop: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["settings", "set", "sync.orders.interval", "null", "--type", "json", "--shop", "42"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "hub: error: setting sync.orders.interval: the value must not be null; to remove the "
        "setting run hub settings delete sync.orders.interval --shop 42"
    )
    assert "core.setting_delete" not in err


def test_wrong_key_is_a_clear_error_never_garbage(db: Target, settings: Settings) -> None:
    settings.set_secret("shoptet.token", "right")
    with Settings(db.app, secret_key="another-key-entirely-000", listen=False) as other:
        with pytest.raises(SettingError, match="encrypted with another key"):
            other.get_secret("shoptet.token")
    with Settings(db.app, secret_key=None, listen=False) as keyless:
        with pytest.raises(SettingError, match="no secret key configured"):
            keyless.get_secret("shoptet.token")


def test_corrupt_ciphertext_is_a_clear_error(settings: Settings, admin: psycopg.Connection) -> None:
    settings.set_secret("shoptet.token", "right")
    admin.execute(
        "update core.settings set secret = overlay(secret placing '\\x0000'::bytea from 20) where key = 'shoptet.token'"
    )
    with Settings(settings._conninfo, secret_key=KEY, listen=False) as fresh:
        with pytest.raises(SettingError, match="cannot be decrypted"):
            fresh.get_secret("shoptet.token")


def test_psql_functions_use_session_key(app: psycopg.Connection) -> None:
    app.execute("set hub.secret_key = 'psql-session-key-123456'")
    app.execute("select core.setting_set_secret('k.s', 'from psql')")
    assert app.execute("select core.setting_get_secret('k.s')").fetchone() == ("from psql",)
    app.execute("reset hub.secret_key")
    with pytest.raises(psycopg.errors.InvalidAuthorizationSpecification, match="no secret key given"):
        app.execute("select core.setting_get_secret('k.s')")


def test_cached_read_is_served_from_memory_until_notified(settings: Settings, admin: psycopg.Connection) -> None:
    settings.set("cache.k", "v1")
    time.sleep(0.3)  # let the notification of our own write arrive before caching
    assert settings.get("cache.k") == "v1"
    # change the row behind the cache's back, without the notification
    admin.execute("alter table core.settings disable trigger settings_notify")
    admin.execute("update core.settings set value = '\"v2\"' where key = 'cache.k'")
    assert settings.get("cache.k") == "v1"  # served from memory
    admin.execute("""select pg_notify('hub_settings', '{"shop_id": null, "key": "cache.k"}')""")
    deadline = time.monotonic() + 2
    while settings.get("cache.k") != "v2" and time.monotonic() < deadline:
        time.sleep(0.005)
    assert settings.get("cache.k") == "v2"


def test_ttl_is_a_safety_net_for_lost_notifications(db: Target, admin: psycopg.Connection) -> None:
    with Settings(db.app, ttl=0.2) as s:
        s.set("ttl.k", 1)
        time.sleep(0.1)  # own notification consumed; the entry cached next lives 0.2 s
        assert s.get("ttl.k") == 1
        admin.execute("alter table core.settings disable trigger settings_notify")
        admin.execute("update core.settings set value = '2' where key = 'ttl.k'")
        assert s.get("ttl.k") == 1
        time.sleep(0.3)
        assert s.get("ttl.k") == 2


def test_global_change_drops_every_shops_cached_copy(settings: Settings, admin: psycopg.Connection, shop: int) -> None:
    settings.set("g.k", "old")
    assert settings.get("g.k", shop_id=shop) == "old"
    admin.execute("select core.setting_set('g.k', '\"new\"')")
    deadline = time.monotonic() + 2
    while settings.get("g.k", shop_id=shop) != "new" and time.monotonic() < deadline:
        time.sleep(0.005)
    assert settings.get("g.k", shop_id=shop) == "new"


def test_lost_listener_pauses_caching_and_recovers(settings: Settings, admin: psycopg.Connection) -> None:
    settings.set("l.k", "a")
    admin.execute(
        "select pg_terminate_backend(pid) from pg_stat_activity "
        "where query ilike 'listen hub_settings%' and datname = current_database()"
    )
    deadline = time.monotonic() + 5
    while settings.caching and time.monotonic() < deadline:
        time.sleep(0.01)
    # reconnects by itself (backoff starts at 0.1 s)
    deadline = time.monotonic() + 5
    while not settings.caching and time.monotonic() < deadline:
        time.sleep(0.01)
    assert settings.caching
    assert settings.get("l.k") == "a"


CHILD = textwrap.dedent("""
    import sys, time
    from runner.settings import Settings
    s = Settings(sys.argv[1], ttl=3600)
    assert s.get("shared.k") == "before"
    assert s.caching
    print("ready", flush=True)
    while True:
        if s.get("shared.k") == "after":
            print(f"seen {time.time():.6f}", flush=True)
            break
        time.sleep(0.001)
""")


def test_change_in_one_process_is_seen_by_another_within_100_ms(db: Target, settings: Settings) -> None:
    settings.set("shared.k", "before")
    child = subprocess.Popen([sys.executable, "-c", CHILD, db.app], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.2)  # the child now serves "before" from its cache
        settings.set("shared.k", "after")  # returns after commit
        committed = time.time()
        line = child.stdout.readline().split()
        assert line[0] == "seen"
        assert float(line[1]) - committed < 0.100
    finally:
        child.kill()
        child.wait()
