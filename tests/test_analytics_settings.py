"""Analytics settings read in SQL: which order statuses mean "cancelled"."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture
def shops(admin: psycopg.Connection) -> tuple[int, int]:
    admin.execute("insert into core.shops (shop_id, name) values (1, 'One'), (2, 'Two')")
    return 1, 2


def _ids(conn: psycopg.Connection, shop_id: int) -> list[int]:
    return conn.execute("select analytics.cancelled_status_ids(%s)", [shop_id]).fetchone()[0]


def test_default_is_shoptet_cancelled_status(admin: psycopg.Connection, shops: tuple[int, int]) -> None:
    assert _ids(admin, 1) == [-4]


def test_shop_value_overrides_global(admin: psycopg.Connection, shops: tuple[int, int]) -> None:
    admin.execute("select core.setting_set('analytics.cancelled_status_ids', '[-4, 9]'::jsonb)")
    admin.execute("select core.setting_set('analytics.cancelled_status_ids', '[-4, 7, 12]'::jsonb, 2)")
    assert _ids(admin, 1) == [-4, 9]
    assert _ids(admin, 2) == [-4, 7, 12]


@pytest.mark.parametrize("value", ['"-4"', '[-4, "x"]', "[1.5]", '{"ids": [-4]}'])
def test_bad_value_is_named(admin: psycopg.Connection, shops: tuple[int, int], value: str) -> None:
    admin.execute("select core.setting_set('analytics.cancelled_status_ids', %s::jsonb, 1)", [value])
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"cancelled_status_ids of shop 1 .*integers"):
        _ids(admin, 1)
