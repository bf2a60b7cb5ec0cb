"""Machine translation: pluggable providers, one built in (DeepL's REST API shape), none enabled.

A provider turns source texts into target texts (``Provider.translate``). ``PROVIDERS`` maps a
name to a factory ``(settings, name) -> Provider``; the built-in ``deepl`` speaks DeepL's API v2
(``POST {url}/v2/translate``, header ``Authorization: DeepL-Auth-Key <key>``, JSON
``{"text": [...], "source_lang": "CS", "target_lang": "EN", "tag_handling": "html"}`` -> ``{"translations":
[{"text": ...}]}``); another provider is registered with ``register(name, factory)`` or named by
the setting ``translations.mt.<name>.class`` (``module:attribute``, a factory).

Settings (`hub settings set`; a shop's own value wins):

* ``translations.mt.provider`` -- the provider to use; unset: machine translation is off (the default);
* ``translations.mt.<name>.url`` -- the API base (deepl: ``https://api-free.deepl.com``);
* ``translations.mt.<name>.key`` -- the API key, a secret (`hub settings set-secret`);
* ``translations.mt.<name>.monthly_characters`` -- the budget of source characters per shop and
  calendar month (UTC); default 500000 (DeepL's free allowance); 0 refuses everything;
* ``translations.mt.<name>.requests_per_second`` -- the request rate of this process; default 2.

Before each request its characters are counted in catalog.mt_usage (catalog.mt_reserve): a
request that would pass the budget is refused with the figures and nothing is sent (a request
that then fails stays counted: the budget errs on the side of spending less). The result is
always a draft (catalog.translation_draft, origin ``machine:<name>``), never approved.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import psycopg

from runner.errors import as_hub_error
from runner.queries import query
from runner.settings import Settings
from runner.translations import TranslationError
from runner.translations.workflow import draft

DEFAULT_BUDGET = 500_000
DEFAULT_RATE = 2.0
BATCH_TEXTS = 50  # DeepL takes up to 50 texts per request
HTML_FIELDS = ("shortDescription", "description")


class MachineTranslationError(TranslationError):
    """Machine translation is off, misconfigured, over budget or refused by the provider."""


class Provider(Protocol):
    name: str

    def translate(self, texts: list[str], source: str, target: str, *, html: bool) -> list[str]: ...


Factory = Callable[[Settings, str, int | None], Provider]
PROVIDERS: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Make a provider available under ``name`` (translations.mt.provider)."""
    PROVIDERS[name] = factory


class RateLimiter:
    """At most ``rate`` requests per second in this process (per provider)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait(self, name: str, rate: float) -> None:
        if rate <= 0:
            return
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(name, 0.0))
            self._next[name] = at + 1.0 / rate
        if at > now:
            time.sleep(at - now)


LIMITER = RateLimiter()


@dataclass
class DeepL:
    """DeepL's REST API v2 (https://developers.deepl.com/docs/api-reference/translate)."""

    url: str
    key: str
    name: str = "deepl"
    timeout: float = 30.0
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))

    def translate(self, texts: list[str], source: str, target: str, *, html: bool) -> list[str]:
        body: dict[str, Any] = {"text": texts, "source_lang": source.upper(), "target_lang": target.upper()}
        if html:
            body["tag_handling"] = "html"  # DeepL keeps the tags and translates the text between them
        try:
            response = self.http.post(
                self.url.rstrip("/") + "/v2/translate",
                json=body,
                headers={"Authorization": f"DeepL-Auth-Key {self.key}"},
            )
        except httpx.HTTPError as exc:
            raise MachineTranslationError(f"{self.name}: cannot reach {self.url} ({type(exc).__name__})") from None
        if response.status_code == 456:
            raise MachineTranslationError(f"{self.name}: the provider's quota is exceeded (HTTP 456)")
        if response.status_code != 200:
            raise MachineTranslationError(
                f"{self.name}: POST {self.url}/v2/translate answered HTTP {response.status_code}: {response.text[:200]}"
            )
        out = [str(t.get("text", "")) for t in (response.json().get("translations") or [])]
        if len(out) != len(texts):
            raise MachineTranslationError(f"{self.name}: sent {len(texts)} texts, got {len(out)} translations back")
        return out


def _deepl(settings: Settings, name: str, shop_id: int | None) -> Provider:
    key = settings.get_secret(f"translations.mt.{name}.key", None, shop_id=shop_id)
    if not key:
        raise MachineTranslationError(
            f"{name}: no API key: hub settings set-secret translations.mt.{name}.key ... (a secret setting)"
        )
    url = settings.get(f"translations.mt.{name}.url", "https://api-free.deepl.com", shop_id=shop_id)
    return DeepL(url=str(url), key=str(key), name=name)


register("deepl", _deepl)


def provider_for(settings: Settings, shop_id: int | None) -> tuple[str, Provider]:
    """The enabled provider (translations.mt.provider); MachineTranslationError when none is."""
    name = settings.get("translations.mt.provider", None, shop_id=shop_id)
    if not name:
        raise MachineTranslationError(
            "machine translation is off: enable a provider with `hub settings set translations.mt.provider deepl` "
            "and its key with `hub settings set-secret translations.mt.deepl.key ...`"
        )
    name = str(name)
    factory = PROVIDERS.get(name)
    if factory is None:
        path = settings.get(f"translations.mt.{name}.class", None, shop_id=shop_id)
        if not path:
            raise MachineTranslationError(
                f"unknown machine translation provider {name!r}: built in: {', '.join(sorted(PROVIDERS))}; "
                f"another needs translations.mt.{name}.class = module:factory"
            )
        module, _, attribute = str(path).partition(":")
        factory = getattr(importlib.import_module(module), attribute)
    return name, factory(settings, name, shop_id)


def _number(settings: Settings, key: str, default: float, shop_id: int | None) -> float:
    value = settings.get(key, None, shop_id=shop_id)
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MachineTranslationError(f"setting {key} must be a number; it is {value!r}") from None


def untranslated(
    conn: psycopg.Connection, master_shop_id: int, language: str, fields: list[str], limit: int
) -> list[tuple[str, str]]:
    """(product GUID, field) of master products with a source text and no translation into ``language``."""
    rows = conn.execute(
        query("translations.untranslated"),
        {"master_shop_id": master_shop_id, "language": language, "fields": fields, "limit": limit},
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


@dataclass
class MachineResult:
    provider: str
    drafted: list[int] = field(default_factory=list)
    characters: int = 0
    requests: int = 0
    skipped: list[str] = field(default_factory=list)  # product/field without a source text

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "drafted": len(self.drafted),
            "ids": self.drafted,
            "characters": self.characters,
            "requests": self.requests,
            "skipped": self.skipped,
        }


def machine_translate(
    conn: psycopg.Connection,
    settings: Settings,
    *,
    master_shop_id: int,
    language: str,
    items: list[tuple[str, str]],
    changed_by: str,
    target_shop_id: int | None = None,
) -> MachineResult:
    """Translate (product GUID, field) items of the master into ``language`` with the enabled
    provider and store each as a draft. ``conn`` is autocommit: each request's usage and drafts
    commit on their own, so a refusal midway keeps what was done before it."""
    name, provider = provider_for(settings, master_shop_id)
    budget_value = _number(settings, f"translations.mt.{name}.monthly_characters", DEFAULT_BUDGET, master_shop_id)
    rate = _number(settings, f"translations.mt.{name}.requests_per_second", DEFAULT_RATE, master_shop_id)
    result = MachineResult(provider=name)
    sources: list[tuple[str, str, str, str]] = []  # guid, field, text, source language
    for guid, field_name in items:
        row = conn.execute(
            query("translations.source_text"),
            {"master_shop_id": master_shop_id, "product_guid": guid, "field": field_name},
        ).fetchone()
        if row is None or not row[0]:
            result.skipped.append(f"{guid}/{field_name}")
            continue
        sources.append((guid, field_name, str(row[0]), str(row[1])))
    # one request per field kind (HTML or not) and source language, at most BATCH_TEXTS texts
    groups: dict[tuple[bool, str], list[tuple[str, str, str, str]]] = {}
    for item in sources:
        groups.setdefault((item[1] in HTML_FIELDS, item[3]), []).append(item)
    for (html, source_language), group in groups.items():
        for start in range(0, len(group), BATCH_TEXTS):
            chunk = group[start : start + BATCH_TEXTS]
            characters = sum(len(text) for _, _, text, _ in chunk)
            try:
                conn.execute(
                    query("translations.mt_reserve"),
                    {
                        "provider": name,
                        "shop_id": master_shop_id,
                        "characters": characters,
                        "budget": int(budget_value),
                    },
                )
            except psycopg.errors.ConfigurationLimitExceeded as exc:
                raise as_hub_error(exc, MachineTranslationError) from None
            LIMITER.wait(name, rate)
            translated = provider.translate([text for _, _, text, _ in chunk], source_language, language, html=html)
            result.requests += 1
            result.characters += characters
            for (guid, field_name, _, _), text in zip(chunk, translated, strict=True):
                result.drafted.append(
                    draft(
                        conn,
                        master_shop_id=master_shop_id,
                        product_guid=guid,
                        field=field_name,
                        language=language,
                        text=text,
                        changed_by=changed_by,
                        target_shop_id=target_shop_id,
                        origin=f"machine:{name}",
                    )
                )
    return result
