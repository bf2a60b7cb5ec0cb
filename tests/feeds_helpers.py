"""Fixture catalogue for the feed tests: one shop (1001) imported through the real product import
(runner.shoptet.ingest.apply_documents) from tests/feeds/catalogue.json, and its GET /api/eshop
answer stored as `hub shop add` stores it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import psycopg
from lxml import etree
from psycopg.types.json import Jsonb

from runner.shoptet.ingest import apply_documents

HERE = Path(__file__).resolve().parent / "feeds"
SHOP = 1001


def catalogue() -> dict[str, Any]:
    return json.loads((HERE / "catalogue.json").read_text(encoding="utf-8"))


def load_catalogue(conninfo: str, products: list[dict[str, Any]] | None = None) -> None:
    data = catalogue()
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "insert into core.shops (shop_id, name, status) values (%s, 'Obchod', 'active') on conflict do nothing",
            (SHOP,),
        )
        conn.execute("select channels.store_storefront(%s, %s)", (SHOP, Jsonb(data["eshop"])))
        apply_documents(conn, SHOP, "products", [orjson.dumps(p) for p in products or data["products"]])


def canonical(source: bytes | Path) -> bytes:
    """C14N of an XML document with blank text between elements removed (pretty printing is not content)."""
    parser = etree.XMLParser(remove_blank_text=True)
    tree = etree.parse(str(source), parser) if isinstance(source, Path) else etree.fromstring(source, parser)
    return etree.tostring(tree, method="c14n")
