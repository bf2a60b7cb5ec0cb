"""The translation workflow as the CLI and the jobs call it: one SQL function per step
(catalog.translation_draft / translation_set_status / translation_worklist ...; runner/sql/translations.sql).
Transitions, memory and history are the database's business: an invalid step raises the
database's error, which names both states."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from runner.queries import query
from runner.translations import TranslationError

# what `hub translate approve|reject|review` do: (status the translation must be in, status it gets)
STEPS = {"review": ("draft", "review"), "approve": ("review", "approved"), "reject": ("review", "draft")}


def draft(
    conn: psycopg.Connection,
    *,
    master_shop_id: int,
    product_guid: str,
    field: str,
    language: str,
    text: str | None,
    changed_by: str,
    target_shop_id: int | None = None,
    origin: str = "manual",
) -> int:
    """Create or rewrite a translation as draft (text None: the memory's exact match); its id."""
    row = conn.execute(
        query("translations.draft"),
        {
            "master_shop_id": master_shop_id,
            "product_guid": product_guid,
            "field": field,
            "language": language,
            "text": text,
            "changed_by": changed_by,
            "target_shop_id": target_shop_id,
            "origin": origin,
        },
    ).fetchone()
    assert row is not None
    return int(row[0])


def language_warning(conn: psycopg.Connection, translation_id: int) -> str | None:
    """Why a sync could not push the translation (no target shop has its language), or None."""
    row = conn.execute(query("translations.language_warning"), {"id": translation_id}).fetchone()
    return None if row is None else row[0]


def set_status(conn: psycopg.Connection, translation_id: int, status: str, changed_by: str) -> str:
    row = conn.execute(
        query("translations.set_status"), {"id": translation_id, "status": status, "changed_by": changed_by}
    ).fetchone()
    assert row is not None
    return str(row[0])


def step(
    conn: psycopg.Connection,
    action: str,
    ids: list[int],
    changed_by: str,
    *,
    language: str | None = None,
    master_shop_id: int | None = None,
) -> list[dict[str, Any]]:
    """Move translations one step (review, approve, reject) in ONE transaction: the ids given, or
    with ``language`` every translation of it in the step's starting status. An invalid
    transition of any of them rolls back all (the error names the translation and both states)."""
    start, to = STEPS[action]
    with conn.transaction():
        if not ids:
            if language is None:
                raise TranslationError(f"translate {action}: give translation ids or --language (all in {start})")
            ids = [
                int(r[0])
                for r in conn.execute(
                    query("translations.ids_in_status"),
                    {"language": language, "status": start, "master_shop_id": master_shop_id},
                )
            ]
        return [{"id": i, "status": set_status(conn, i, to, changed_by)} for i in ids]


def status_counts(conn: psycopg.Connection, *, shop_id: int | None, language: str | None) -> dict[str, Any]:
    """Counts per master, language and state, and this month's machine-translation usage."""
    with conn.cursor(row_factory=dict_row) as cur:
        counts = cur.execute(query("translations.status_counts"), {"shop_id": shop_id, "language": language}).fetchall()
        usage = cur.execute(query("translations.mt_usage"), {"shop_id": shop_id}).fetchall()
    return {"counts": counts, "machine_translation": usage}


def worklist(
    conn: psycopg.Connection, *, language: str, status: str | None, master_shop_id: int | None
) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            query("translations.worklist"),
            {"language": language, "status": status, "master_shop_id": master_shop_id},
        ).fetchall()


def memory_matches(
    conn: psycopg.Connection, source_language: str, target_language: str, text: str, limit: int = 3
) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            query("translations.memory_matches"),
            {"source_language": source_language, "target_language": target_language, "text": text, "limit": limit},
        ).fetchall()


def set_overlay(
    conn: psycopg.Connection,
    *,
    shop_id: int,
    product_guid: str,
    language: str,
    field: str,
    value: str | None,
    changed_by: str,
) -> None:
    """A shop's own text for a master product's field and language (value None removes it)."""
    params = {
        "shop_id": shop_id,
        "product_guid": product_guid,
        "language": language,
        "field": field,
        "value": value,
        "changed_by": changed_by,
    }
    if value is None:
        conn.execute(query("translations.overlay_delete"), params)
    else:
        conn.execute(query("translations.overlay_set"), params)


def effective(conn: psycopg.Connection, shop_id: int, language: str | None = None) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query("translations.effective"), {"shop_id": shop_id, "language": language}).fetchall()
