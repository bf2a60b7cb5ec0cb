"""Translations of product texts (issue 19): the workflow lives in SQL (catalog.translations and
its functions, db/functions/catalog/); these modules move texts between it and the outside:

* ``workflow.py`` -- drafts, status changes, worklist, overlays, counts (one SQL call each);
* ``sync.py`` -- pushes approved texts to Shoptet (PATCH /api/products/{guid}?language=, or the
  batch endpoint) and records the outcome; the shop's languages from GET /api/eshop;
* ``xliff.py`` -- export / import for translators' CAT tools (XLIFF 1.2 and 2.0, lxml);
* ``mt.py`` -- machine translation: pluggable providers, the built-in DeepL-shaped HTTP one,
  budgets and rates from settings, usage counted in SQL.

docs/translations.md describes the whole.
"""

from __future__ import annotations

from runner.errors import HubError


class TranslationError(HubError):
    """A translation command or job cannot do what was asked; the message says what and where."""
