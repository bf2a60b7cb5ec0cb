"""Shoptet Hub runner: moves bytes between Shoptet and PostgreSQL; the logic lives in SQL."""

__version__ = "0.1.0"
