"""The sandbox's API errors: raised by the state (authentication) and the handlers (app.py),
answered by app.py as Shoptet's error envelope ``{"errors": [{"errorCode", "message",
"instance"}]}`` with ``status`` and any ``headers`` (``Retry-After``)."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, instance: str = "unknown", headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.instance = status, code, message, instance
        self.headers = headers or {}
