"""The dashboard's password: an argon2id hash (argon2-cffi, its default parameters: RFC 9106's
low-memory profile) kept as a secret setting, so it is encrypted at rest like every other secret
(core.settings, HUB_SECRET_KEY). The password itself is never stored nor logged; `hub web passwd`
sets it. Imported by the CLI without the web stack."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from runner.errors import HubError

if TYPE_CHECKING:
    from runner.settings import Settings

PASSWORD_SETTING = "dashboard.password_hash"
"""Secret setting (global) holding the argon2id hash of the dashboard password."""

MIN_LENGTH = 8
HOW_TO_SET = "hub web passwd"


class PasswordRefused(HubError):
    """A new password that is too weak to be set (too short, blank)."""


def check_new(password: str) -> None:
    if password != password.strip():
        raise PasswordRefused("the password must not begin or end with white space")
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(f"the password must have at least {MIN_LENGTH} characters, it has {len(password)}")


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify(password_hash: str, password: str) -> bool:
    """Whether password matches the hash (constant time inside argon2)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash, kept in session cookies: a new password signs every
    session out (the hash is salted, so this tells nothing about the password)."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def set_password(settings: Settings, password: str) -> None:
    """Check, hash and store a new dashboard password (settings must have the secret key)."""
    check_new(password)
    settings.set_secret(PASSWORD_SETTING, hash_password(password))


def stored_hash(settings: Settings) -> str | None:
    value = settings.get_secret(PASSWORD_SETTING, None)
    return value if isinstance(value, str) and value else None
