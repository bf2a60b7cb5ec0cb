"""A local fake Shoptet API (`hub sandbox serve`) for the demo, the tests and the import benchmark.

Faithful to ../shared/docs/shoptet-api.md: real paths, envelope, paginator, headers, errors,
tokens, rate limits, snapshot jobs with gzip JSON-Lines results, webhooks signed with
HMAC-SHA1. Data are generated deterministically from (seed, scale) entity by entity; only a
small overlay of mutations is kept. See runner/sandbox/sandbox.py for the control API.
"""

from runner.sandbox.sandbox import DEFAULT_SHOP, Faults, Sandbox

__all__ = ["Sandbox", "Faults", "DEFAULT_SHOP"]
