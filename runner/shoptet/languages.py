"""The languages of a shop's catalogue: which other languages its product texts are read in, and
reading a product's texts in them (``GET /api/products/{guid}?language=L``).

A shop with Shoptet's Foreign languages module lists ``languages[]`` on ``GET /api/eshop``
(stored in catalog.shop_languages by `hub shop add`, `hub shop refresh` and every translation
sync). The catalogue import reads the texts of each language besides the default one: a products
snapshot per language (runner/shoptet/snapshots.py), and the product details of incremental sync
and webhook drains once more per language (runner/shoptet/sync.py ``fetch_entity``). A shop with
one language gets no extra request: ``other_languages`` is empty.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import psycopg

from runner.logs import log
from runner.queries import query
from runner.shoptet import errors
from runner.shoptet.client import ShoptetClient

logger = logging.getLogger("hub.ingest")


def language_texts(client: ShoptetClient, guid: str, languages: Sequence[str]) -> dict[str, Any]:
    """{language: the product's detail read with ?language=} for each of ``languages``; a language
    Shoptet refuses (400/403: the shop no longer has it) is left out with a warning naming shop,
    product and language; a 404 (the product went meanwhile) leaves it out quietly."""
    out: dict[str, Any] = {}
    for language in languages:
        try:
            data = client.get(f"/api/products/{quote(guid, safe='')}", {"language": language})
        except errors.NotFound:
            continue
        except (errors.BadRequest, errors.Forbidden) as exc:
            log(
                logger,
                logging.WARNING,
                "product texts of a language could not be read: left as they were",
                shop_id=client.shop_id,
                entity="products",
                entity_key=guid,
                language=language,
                error=str(exc),
            )
            continue
        if isinstance(data, dict) and data:
            out[language] = data
    return out


def other_languages(conn: psycopg.Connection, shop_id: int) -> list[str]:
    """The shop's languages besides its default (catalog.shop_languages as GET /api/eshop listed
    them at `hub shop add` / `hub shop refresh` / a translation sync): those product texts are read
    in too. Empty for a one-language shop (the import then sends no extra request)."""
    return [str(r[0]) for r in conn.execute(query("languages.other_languages"), {"shop_id": shop_id})]
