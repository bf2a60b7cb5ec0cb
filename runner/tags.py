"""Customer tag rules (`hub analytics tags`): list, add and remove the rules of
analytics.tag_rules. Everything else is SQL (db/functions/analytics/, docs/analytics.md): a
trigger checks a rule's JSON condition when it is saved (an error names the place in the JSON and
what is wrong) and re-tags the shop's customers at once; analytics.apply_tag_rules evaluates the
rules set-based. Queries in runner/sql/tags.sql.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg

from runner.errors import HubError, as_hub_error
from runner.queries import query


class TagRuleError(HubError):
    """A tag rule cannot be saved or removed as asked: names the shop, the rule and what is wrong."""


@dataclass(frozen=True)
class SavedRule:
    """A rule as saved, and how many customers have its tag now."""

    shop_id: int
    name: str
    customers: int
    replaced: bool


def list_rules(conn: psycopg.Connection, shop_id: int | None = None) -> list[dict[str, Any]]:
    """Every rule (of one shop, or all) with the number of customers tagged."""
    cur = conn.execute(query("tags.list"), {"shop_id": shop_id})
    columns = [c.name for c in cur.description or ()]
    return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def parse_condition(text: str) -> Any:
    """The condition as JSON; a clear error naming line and column when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TagRuleError(
            f"the condition is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; e.g. "
            '\'{"all": [{"metric": "orders_count", "op": ">=", "value": 5}]}\''
        ) from None


def add_rule(
    conn: psycopg.Connection,
    shop_id: int,
    name: str,
    condition: Any,
    *,
    description: str | None = None,
    replace: bool = False,
) -> SavedRule:
    """Save a rule (a new one, or over an existing one with ``replace``), in one transaction: the
    database checks the condition and tags the shop's customers before this returns."""
    params = {"shop_id": shop_id, "name": name, "condition": json.dumps(condition), "description": description}
    with conn.transaction():
        if not conn.execute(query("tags.shop_exists"), {"shop_id": shop_id}).fetchone()[0]:  # type: ignore[index]
            raise TagRuleError(f"no shop {shop_id} in core.shops (hub shop list)")
        existed = False
        try:
            if replace:
                existed = conn.execute(query("tags.exists"), {"shop_id": shop_id, "name": name}).fetchone() is not None
                conn.execute(query("tags.replace"), params)
            elif conn.execute(query("tags.insert"), params).fetchone() is None:
                raise TagRuleError(
                    f"tag rule {name!r} of shop {shop_id} exists already: add --replace to change it "
                    f"(hub analytics tags add --shop {shop_id} {name} ... --replace)"
                )
        except (psycopg.errors.InvalidParameterValue, psycopg.errors.CheckViolation) as exc:
            if isinstance(exc, psycopg.errors.CheckViolation) and exc.diag.constraint_name == "tag_rules_name_sane":
                raise TagRuleError("a tag name has 1-64 characters and no spaces around it") from None
            raise as_hub_error(exc, TagRuleError) from None
        customers = conn.execute(query("tags.tagged"), {"shop_id": shop_id, "name": name}).fetchone()[0]  # type: ignore[index]
    return SavedRule(shop_id, name, int(customers), existed)


def remove_rule(conn: psycopg.Connection, shop_id: int, name: str) -> bool:
    """Remove a rule and its tags; False when the shop has no rule of that name."""
    with conn.transaction():
        return conn.execute(query("tags.delete"), {"shop_id": shop_id, "name": name}).fetchone() is not None
