"""The e-mail and GUID normalisations, twins of the SQL functions that are the reference.

``normalize_email`` = ``core.normalize_email`` (db/functions/core/normalize_email.sql) and
``normalize_guid`` = ``core.normalize_guid`` (db/functions/core/normalize_guid.sql): for every
string both give the same result (tests/test_normalization.py feeds both the same strings). The
importer calls them once per field per line, so each has a fast path for the usual value.

* e-mail: strip ``EDGE_WHITESPACE`` from both ends, lower-case (Unicode full case mapping, as
  ICU's root locale does in SQL), '' -> None.
* GUID: strip ``EDGE_WHITESPACE``, lower-case, and keep it when it has the form of Shoptet's
  typeGuid (8-4-4-4-12 hex digits, docs/shoptet-api.md); empty or anything else -> None.
  ``is_blank`` tells a missing value apart from one that is not a GUID (the importer warns
  about the latter).
"""

from __future__ import annotations

import re

# Unicode White_Space (and what Python's str.isspace() adds: U+001C-001F) plus the invisible
# characters that travel with pasted addresses: U+180E, U+200B-200D, U+2060, U+FEFF.
# The same list, as U&'\XXXX' escapes, is in core.normalize_email and core.normalize_guid.
EDGE_WHITESPACE = "".join(
    map(
        chr,
        (
            0x09,
            0x0A,
            0x0B,
            0x0C,
            0x0D,
            0x1C,
            0x1D,
            0x1E,
            0x1F,
            0x20,
            0x85,
            0xA0,
            0x1680,
            0x180E,
            *range(0x2000, 0x200E),
            0x2028,
            0x2029,
            0x202F,
            0x205F,
            0x2060,
            0x3000,
            0xFEFF,
        ),
    )
)

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalize_email(value: str | None) -> str | None:
    """The normalised e-mail (see module docstring); None for None, '' and white space only."""
    if not value:
        return None
    return value.strip(EDGE_WHITESPACE).lower() or None


# GUIDs seen lately (as sent -> normalised): product, shipping and payment GUIDs repeat on
# every order, and a dict hit costs a quarter of the regular expression; emptied when full
_SEEN: dict[str, str] = {}
_SEEN_LIMIT = 1 << 16


def normalize_guid(value: str | None) -> str | None:
    """The canonical lower-case GUID text, or None (None, empty, white space, not a GUID)."""
    if not value:
        return None
    guid = _SEEN.get(value)
    if guid is not None:
        return guid
    if _GUID.fullmatch(value):  # the usual case: already canonical
        guid = value
    else:
        stripped = value.strip(EDGE_WHITESPACE).lower()
        if not _GUID.fullmatch(stripped):
            return None
        guid = stripped
    if len(_SEEN) >= _SEEN_LIMIT:
        _SEEN.clear()
    _SEEN[value] = guid
    return guid


def is_blank(value: str) -> bool:
    """True when nothing is left of the value after stripping EDGE_WHITESPACE."""
    return not value.strip(EDGE_WHITESPACE)
