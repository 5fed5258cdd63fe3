"""Identifiers and secrets.

Public ids follow OnCall's shape (a type prefix + 12 characters from an alphabet without O and 0) so that
scripts that pattern-match ids keep working. Tokens come from the CSPRNG (`secrets`).
"""

from __future__ import annotations

import hashlib
import secrets
import string
from datetime import UTC, datetime

_PUBLIC_ID_ALPHABET = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"
_TOKEN_ALPHABET = string.ascii_letters + string.digits

PREFIX_INTEGRATION = "C"
PREFIX_ROUTE = "R"
PREFIX_CHAIN = "F"
PREFIX_POLICY = "E"
PREFIX_ALERT_GROUP = "I"
PREFIX_ALERT = "A"
PREFIX_API_TOKEN = "K"
PREFIX_USER = "U"
PREFIX_TEAM = "T"
PREFIX_SCHEDULE = "S"
PREFIX_WEBHOOK = "WH"
PREFIX_WEBHOOK_RESPONSE = "WR"
PREFIX_EVENT = "EV"
PREFIX_ORGANIZATION = "O"
PREFIX_RESOLUTION_NOTE = "M"
PREFIX_ON_CALL_SHIFT = "O"
PREFIX_SHIFT_SWAP = "SSR"  # OnCall's prefix for shift swap requests  # OnCall's prefix for resolution notes


def public_id(prefix: str, length: int = 12) -> str:
    """Uniform over the alphabet, from one CSPRNG draw (a draw per character cost a syscall each, and the
    route function makes several ids per alert)."""
    number = secrets.randbelow(len(_PUBLIC_ID_ALPHABET) ** length)
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(_PUBLIC_ID_ALPHABET))
        chars.append(_PUBLIC_ID_ALPHABET[digit])
    return prefix + "".join(chars)


def derived_public_id(prefix: str, seed: str, length: int = 12) -> str:
    """A public id that is always the same for `seed` (the deployment's organization, say)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return prefix + "".join(_PUBLIC_ID_ALPHABET[byte % len(_PUBLIC_ID_ALPHABET)] for byte in digest[:length])


def sortable_id(prefix: str, at: datetime) -> str:
    """An id that sorts by time (UTC, microseconds) and is unique: for logs listed newest first."""
    return prefix + at.astimezone(UTC).strftime("%Y%m%d%H%M%S%f") + public_id("", 4)


def integration_token() -> str:
    """25 alphanumerics like OnCall's, from the CSPRNG: log2(62**25) ≈ 149 bits."""
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(25))


def api_token() -> str:
    """An API token: 43 URL-safe characters = 256 bits."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are stored only as this digest. They are high-entropy random strings, so a fast hash is
    enough (no salt/stretching needed: there is nothing to brute-force)."""
    return hashlib.sha256(token.encode()).hexdigest()
