"""Marketplace product feeds (Heureka offers and availability, Zbozi.cz, Google Merchant) built
from the hub's catalogue: formats.py (XML shapes and writer), build.py (stream, check, publish),
validate.py (the check of items as written and of a file), service.py (definitions and builds for
CLI and worker), web.py (GET /feeds/<token>/<file>.xml). docs/feeds.md is the user's guide."""
