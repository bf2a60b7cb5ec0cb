"""Who may see the dashboard: one password (runner/dashboard/passwords.py), a signed session
cookie, CSRF tokens on every form, and a lock-out delay after failed logins.

* Session: cookie ``hub_session``, a JSON payload signed with itsdangerous (HMAC-SHA256 with a key
  derived from the hub's secret key, timestamped: valid SESSION_HOURS). It holds the CSRF token,
  whether the holder signed in, and the fingerprint of the password hash it signed in with, so
  a new password (`hub web passwd`) signs every session out. HttpOnly, SameSite=Lax, Secure when
  the request came over https (uvicorn takes X-Forwarded-Proto from a proxy on 127.0.0.1).
* CSRF: every visitor gets a session (signed in or not) with a random token; every form carries
  it as the hidden field ``csrf`` and every POST to the dashboard is refused (403) without the
  session's token (``login_required`` checks it before the handler runs).
* Lock-out: in SQL (core.dashboard_login_wait / _record), shared by all worker processes of
  `hub serve --workers N` and surviving a restart: after 3 failures in a row a client waits
  2, 4, 8 ... up to 300 s before its next attempt is even checked (answered 429).
* Without a password set the dashboard answers 503 with how to set one; without a session an HTML
  request is sent to /login, any other gets 401.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import wraps
from urllib.parse import parse_qs, quote

import psycopg
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from runner.dashboard import passwords
from runner.dashboard.render import page
from runner.logs import log
from runner.queries import query
from runner.settings import SettingError

logger = logging.getLogger("hub.dashboard")

COOKIE = "hub_session"
SESSION_HOURS = 12
MAX_FORM_BYTES = 64 * 1024

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Session:
    csrf: str
    auth: bool = False
    pw: str = ""  # fingerprint of the password hash the session signed in with

    @classmethod
    def new(cls) -> Session:
        return cls(csrf=secrets.token_urlsafe(24))


class Sessions:
    """Signs and reads session cookies with a key derived from the hub's secret key."""

    def __init__(self, secret_key: str):
        key = hmac.new(secret_key.encode(), b"hub dashboard session v1", hashlib.sha256).hexdigest()
        self._serializer = URLSafeTimedSerializer(key, salt="hub-dashboard-session")

    def load(self, request: Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=SESSION_HOURS * 3600)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        return Session(csrf=data["csrf"], auth=data.get("auth") is True, pw=str(data.get("pw", "")))

    def store(self, response: Response, request: Request, session: Session) -> None:
        value = self._serializer.dumps({"csrf": session.csrf, "auth": session.auth, "pw": session.pw})
        response.set_cookie(
            COOKIE,
            value,
            max_age=SESSION_HOURS * 3600,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )

    def clear(self, response: Response, request: Request) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def password_hash(request: Request) -> str | None:
    """The stored hash (the settings cache answers without I/O while it is current)."""
    settings = request.app.state.hub.settings
    found, value = settings.cached_secret(passwords.PASSWORD_SETTING)
    if not found:
        value = await run_in_threadpool(settings.get_secret, passwords.PASSWORD_SETTING, None)
    return value if isinstance(value, str) and value else None


def no_password(request: Request) -> Response:
    message = (
        f"The dashboard has no password yet: set one with `{passwords.HOW_TO_SET}` (reads it from standard input)."
    )
    if not wants_html(request):
        return JSONResponse({"error": "no_password", "detail": message}, status_code=503)
    return page(request, "no_password.html", status_code=503, message=message, how=passwords.HOW_TO_SET)


async def form_of(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form body (first value of each); at most MAX_FORM_BYTES."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def csrf_ok(session: Session | None, form: dict[str, str]) -> bool:
    given = form.get("csrf", "")
    return session is not None and bool(given) and hmac.compare_digest(session.csrf, given)


def csrf_refused(request: Request) -> Response:
    log(logger, logging.WARNING, "dashboard form refused: CSRF token missing or wrong", path=request.url.path)
    if not wants_html(request):
        return JSONResponse({"error": "csrf", "detail": "the form's CSRF token is missing or wrong"}, status_code=403)
    return page(
        request,
        "message.html",
        status_code=403,
        title="Form refused",
        message="The form's security token is missing or out of date. Go back, reload the page and try again.",
    )


def login_required(handler: Handler) -> Handler:
    """A dashboard endpoint: a password must be set and the session signed in with it; a POST must
    carry the session's CSRF token (its fields are then in ``request.state.form``)."""

    @wraps(handler)
    async def wrapped(request: Request) -> Response:
        stored = await password_hash(request)
        if stored is None:
            return no_password(request)
        session = request.app.state.dashboard.sessions.load(request)
        if session is None or not session.auth or session.pw != passwords.fingerprint(stored):
            if not wants_html(request):
                return JSONResponse({"error": "unauthorized", "detail": "sign in at /login"}, status_code=401)
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        request.state.session = session
        request.state.timezone = await request.app.state.dashboard.timezone()
        if request.method == "POST":
            form = await form_of(request)
            if not csrf_ok(session, form):
                return csrf_refused(request)
            request.state.form = form
        return await handler(request)

    return wrapped


def _safe_next(target: str | None) -> str:
    """Only a path of this site (no //host, no scheme) may be where a login leads."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(request: Request, session: Session, *, status_code: int = 200, error: str = "") -> Response:
    request.state.session = session
    response = page(
        request,
        "login.html",
        status_code=status_code,
        error=error,
        next=_safe_next(request.query_params.get("next")),
    )
    request.app.state.dashboard.sessions.store(response, request, session)
    return response


async def login_form(request: Request) -> Response:
    if await password_hash(request) is None:
        return no_password(request)
    sessions: Sessions = request.app.state.dashboard.sessions
    session = sessions.load(request) or Session.new()
    return _login_page(request, session)


async def _login_wait(request: Request, ok: bool | None) -> float:
    """Seconds the client must wait (ok None: just ask; True/False: record the attempt)."""
    async with request.app.state.dashboard.pool.connection() as conn:
        if ok is None:
            cur = await conn.execute(query("dashboard.login_wait"), {"client": client_of(request)})
        else:
            cur = await conn.execute(query("dashboard.login_record"), {"client": client_of(request), "ok": ok})
        found = await cur.fetchone()
    return float(found[0]) if found else 0.0


async def login(request: Request) -> Response:
    try:
        stored = await password_hash(request)
    except SettingError as exc:
        log(logger, logging.ERROR, "dashboard password cannot be read", error=str(exc))
        return page(request, "message.html", status_code=503, title="Unavailable", message=str(exc))
    if stored is None:
        return no_password(request)
    sessions: Sessions = request.app.state.dashboard.sessions
    session = sessions.load(request)
    form = await form_of(request)
    if not csrf_ok(session, form):
        return csrf_refused(request)
    assert session is not None
    try:
        wait = await _login_wait(request, None)
        if wait > 0:
            return _login_page(
                request, session, status_code=429, error=f"Too many failed attempts: try again in {wait:.0f} s."
            )
        ok = await run_in_threadpool(passwords.verify, stored, form.get("password", ""))
        wait = await _login_wait(request, ok)
    except (psycopg.Error, TimeoutError) as exc:
        log(logger, logging.ERROR, "dashboard login: database unavailable", error=str(exc).splitlines()[0])
        return _login_page(request, session, status_code=503, error="The database does not answer; try again.")
    if not ok:
        log(logger, logging.WARNING, "dashboard login failed", client=client_of(request))
        error = "Wrong password." + (f" Wait {wait:.0f} s before the next attempt." if wait > 0 else "")
        return _login_page(request, session, status_code=401, error=error)
    log(logger, logging.INFO, "dashboard login", client=client_of(request))
    signed_in = Session(csrf=secrets.token_urlsafe(24), auth=True, pw=passwords.fingerprint(stored))
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    sessions.store(response, request, signed_in)
    return response


@login_required
async def logout_form(request: Request) -> Response:
    return page(request, "logout.html")


@login_required
async def logout(request: Request) -> Response:
    sessions: Sessions = request.app.state.dashboard.sessions
    response = RedirectResponse("/login", status_code=303)
    # a fresh anonymous session: the old cookie (and its CSRF token) is replaced
    sessions.store(response, request, replace(Session.new(), auth=False))
    return response


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout_form, methods=["GET"]),
    Route("/logout", logout, methods=["POST"]),
]
