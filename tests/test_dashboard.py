"""The dashboard over plain HTTP (starlette's TestClient on the real app and database): access
control (no password, no session, CSRF, lock-out, password never stored or logged in plain text),
every page answering on data, keyset paging, and the Retry / Cancel actions."""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Iterator

import psycopg
import pytest
from starlette.testclient import TestClient

from dashboard_helpers import (
    PAGES,
    PASSWORD,
    csrf_of,
    failed_procrastinate_job,
    failed_snapshot_job,
    set_password,
    sign_in,
)
from runner.config import REPO_ROOT, Config
from runner.db import Target
from runner.web import create_app

HTML = {"accept": "text/html"}
SHOP = 7001


@pytest.fixture
def shop_row(admin: psycopg.Connection) -> int:
    admin.execute(
        "insert into core.shops (shop_id, name, is_master, timezone) "
        "values (%s, 'Dashboard shop', true, 'Europe/Prague')",
        (SHOP,),
    )
    return SHOP


@pytest.fixture
def client(db: Target, hub_env: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(Config.from_env(), db)) as c:
        yield c


@pytest.fixture
def with_password(db: Target, hub_env: dict[str, str]) -> None:
    set_password(db.app, hub_env["HUB_SECRET_KEY"])


def test_without_a_password_every_page_refuses_and_says_how_to_set_one(client: TestClient) -> None:
    for path in (*PAGES, "/login"):
        r = client.get(path, headers=HTML)
        assert r.status_code == 503, path
        assert "hub web passwd" in r.text
    assert client.get("/", headers={"accept": "application/json"}).json()["error"] == "no_password"


def test_without_a_session_html_goes_to_login_and_anything_else_gets_401(
    client: TestClient, with_password: None
) -> None:
    for path in PAGES:
        r = client.get(path, headers=HTML, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
        assert client.get(path, headers={"accept": "application/json"}).status_code == 401
    page = client.get("/shops?x=1", headers=HTML)  # followed: the login form, remembering where to go
    assert page.status_code == 200 and 'name="password"' in page.text and 'value="/shops?x=1"' in page.text


def test_login_sets_a_hardened_cookie_and_opens_every_page(
    client: TestClient, with_password: None, shop_row: int
) -> None:
    form = client.get("/login", headers=HTML)
    r = client.post(
        "/login", data={"csrf": csrf_of(form.text), "password": PASSWORD, "next": "/queues"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/queues"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and PASSWORD not in cookie
    for path in PAGES:
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, (path, page.text[:500])
        assert "Sign out" in page.text
    # a login never leads off the site
    form = client.get("/login", headers=HTML)
    r = client.post(
        "/login",
        data={"csrf": csrf_of(form.text), "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_a_form_post_without_the_csrf_token_is_refused(
    client: TestClient, with_password: None, shop_row: int, admin: psycopg.Connection
) -> None:
    job = failed_snapshot_job(admin, shop_row)
    # the login form itself
    client.get("/login", headers=HTML)
    assert client.post("/login", data={"password": PASSWORD}, headers=HTML).status_code == 403
    assert client.post("/login", data={"password": PASSWORD, "csrf": "forged"}, headers=HTML).status_code == 403
    sign_in(client)
    # an action of a page: refused, nothing changed
    r = client.post(f"/snapshots/{job}/retry", data={}, headers=HTML, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(f"/snapshots/{job}/retry", data={"csrf": "x" * 32}, headers=HTML, follow_redirects=False)
    assert r.status_code == 403
    assert admin.execute("select status from ingest.snapshot_jobs where id = %s", (job,)).fetchone() == ("failed",)
    # logout too is a form
    assert client.post("/logout", data={}, headers=HTML, follow_redirects=False).status_code == 403
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 200


def test_logout_ends_the_session(client: TestClient, with_password: None) -> None:
    sign_in(client)
    page = client.get("/logout", headers=HTML)
    r = client.post("/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 303


def test_a_new_password_signs_every_session_out(
    client: TestClient, with_password: None, db: Target, hub_env: dict[str, str]
) -> None:
    sign_in(client)
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 200
    set_password(db.app, hub_env["HUB_SECRET_KEY"], "another password 2")
    client.app.state.hub.settings._invalidate_all()  # the NOTIFY may not have arrived yet
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 303


def test_failed_logins_lock_the_client_out_for_a_while(
    client: TestClient, with_password: None, admin: psycopg.Connection
) -> None:
    statuses = []
    for _ in range(5):
        form = client.get("/login", headers=HTML)
        r = client.post("/login", data={"csrf": csrf_of(form.text), "password": "wrong guess"}, headers=HTML)
        statuses.append(r.status_code)
    # three free tries, the fourth failure starts a wait, the fifth attempt is not even checked
    assert statuses == [401, 401, 401, 401, 429]
    form = client.get("/login", headers=HTML)
    r = client.post("/login", data={"csrf": csrf_of(form.text), "password": PASSWORD}, headers=HTML)
    assert r.status_code == 429 and "try again in" in r.text  # even the right password waits
    wait = admin.execute("select core.dashboard_login_wait('testclient')").fetchone()
    assert wait is not None and 0 < wait[0] <= 2
    # once the wait is over the right password gets in and forgets the failures
    admin.execute("update core.dashboard_login_failures set last_failed_at = now() - interval '3 seconds'")
    sign_in(client)
    assert admin.execute("select count(*) from core.dashboard_login_failures").fetchone() == (0,)


def test_the_password_is_never_stored_or_logged_in_plain_text(
    client: TestClient,
    with_password: None,
    admin: psycopg.Connection,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level(logging.DEBUG):
        for password in ("wrong guess 1", PASSWORD):
            form = client.get("/login", headers=HTML)
            client.post("/login", data={"csrf": csrf_of(form.text), "password": password}, headers=HTML)
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records) + "".join(capfd.readouterr())
    assert "dashboard login" in logged
    assert PASSWORD not in logged and "wrong guess 1" not in logged
    # in the database: only encrypted bytes; decrypted, an argon2id hash
    stored = admin.execute(
        "select value, secret, is_secret from core.settings where key = 'dashboard.password_hash'"
    ).fetchone()
    assert stored is not None and stored[0] is None and stored[2]
    assert PASSWORD.encode() not in bytes(stored[1])
    dump = admin.execute("select string_agg(t::text, '|') from core.settings t").fetchone()
    events = admin.execute("select coalesce(string_agg(e::text, '|'), '') from ops.events e").fetchone()
    assert dump is not None and events is not None
    assert PASSWORD not in dump[0] and PASSWORD not in events[0]
    hashed = client.app.state.hub.settings.get_secret("dashboard.password_hash")
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed


def test_retry_of_a_failed_snapshot_job_queues_it_for_the_workers(
    client: TestClient, with_password: None, shop_row: int, admin: psycopg.Connection
) -> None:
    job = failed_snapshot_job(admin, shop_row, bad_lines=60)
    sign_in(client)
    listing = client.get("/snapshots", headers=HTML)
    assert f'action="/snapshots/{job}/retry"' in listing.text and "the snapshot file ended early" in listing.text
    page = client.get(f"/snapshots/{job}", headers=HTML)
    assert "line 10: field code is missing" in page.text
    # bad lines are keyset-paged: 50, then the other 10
    nxt = re.search(r'href="(/snapshots/\d+\?after=[^"]+)"', page.text)
    assert nxt, "no next page link"
    second = client.get(nxt.group(1).replace("&amp;", "&"), headers=HTML)
    assert second.status_code == 200 and "line 600:" in second.text and "line 10:" not in second.text
    r = client.post(f"/snapshots/{job}/retry", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert admin.execute("select status, retry_count from ingest.snapshot_jobs where id = %s", (job,)).fetchone() == (
        "retrying",
        0,
    )
    queued = admin.execute(
        "select task_name, status, lock, args from procrastinate.procrastinate_jobs where queueing_lock = %s",
        (f"snapshot:{job}",),
    ).fetchall()
    assert queued == [("run_snapshot_job", "todo", f"shop:{shop_row}:orders", {"job_id": job})]
    # a second click reuses the waiting attempt; a completed job is refused
    client.post(f"/snapshots/{job}/retry", data={"csrf": csrf_of(page.text)})
    assert admin.execute(
        "select count(*) from procrastinate.procrastinate_jobs where queueing_lock = %s", (f"snapshot:{job}",)
    ).fetchone() == (1,)
    admin.execute("update ingest.snapshot_jobs set status = 'completed' where id = %s", (job,))
    r = client.post(f"/snapshots/{job}/retry", data={"csrf": csrf_of(page.text)}, headers=HTML)
    assert r.status_code == 409 and "only failed, retrying or completed_with_errors" in r.text


def test_retry_and_cancel_of_queued_jobs(
    client: TestClient, with_password: None, shop_row: int, admin: psycopg.Connection
) -> None:
    failed = failed_procrastinate_job(admin, shop_row)
    sign_in(client)
    page = client.get("/queues", headers=HTML)
    assert f'action="/queues/jobs/{failed}/retry"' in page.text
    csrf = csrf_of(page.text)
    r = client.post(f"/queues/jobs/{failed}/retry", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and "notice=retried" in r.headers["location"]
    assert admin.execute("select status from procrastinate.procrastinate_jobs where id = %s", (failed,)).fetchone() == (
        "todo",
    )
    # now it waits: the queue's oldest waiting job, with a Cancel button
    page = client.get("/queues", headers=HTML)
    assert f'action="/queues/jobs/{failed}/cancel"' in page.text
    r = client.post(f"/queues/jobs/{failed}/cancel", data={"csrf": csrf}, follow_redirects=False)
    assert "notice=cancelled" in r.headers["location"]
    assert admin.execute("select status from procrastinate.procrastinate_jobs where id = %s", (failed,)).fetchone() == (
        "cancelled",
    )
    r = client.post(f"/queues/jobs/{failed}/retry", data={"csrf": csrf}, follow_redirects=False)
    assert "notice=not-failed" in r.headers["location"]


def test_empty_hub_pages_say_what_to_do(client: TestClient, with_password: None) -> None:
    sign_in(client)
    assert "hub shop add --token" in client.get("/", headers=HTML).text
    assert "hub shop add --token" in client.get("/shops", headers=HTML).text
    assert "hub snapshot import" in client.get("/snapshots", headers=HTML).text
    assert "hub backup run" in client.get("/database", headers=HTML).text
    assert client.get("/shops/123", headers=HTML).status_code == 404


def test_static_files_are_served_from_the_package(client: TestClient) -> None:
    css = client.get("/static/dashboard.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert client.get("/static/dashboard.js").status_code == 200


def test_hub_web_passwd_reads_standard_input_and_refuses_a_short_password(
    db: Target, hub_env: dict[str, str], admin: psycopg.Connection
) -> None:
    hub = str(REPO_ROOT / ".venv" / "bin" / "hub")
    env = {**os.environ, **hub_env}
    short = subprocess.run([hub, "web", "passwd"], input=b"short\n", env=env, capture_output=True)
    assert short.returncode == 1 and b"at least 8 characters" in short.stderr
    assert admin.execute("select count(*) from core.settings where key = 'dashboard.password_hash'").fetchone() == (0,)
    done = subprocess.run([hub, "web", "passwd"], input=f"{PASSWORD}\n".encode(), env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert PASSWORD.encode() not in done.stdout + done.stderr
    with TestClient(create_app(Config.from_env(), db)) as c:
        sign_in(c)
        assert c.get("/", headers=HTML, follow_redirects=False).status_code == 200
