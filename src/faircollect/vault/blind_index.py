"""Keyed blind indexes: find a record by a value without storing the value.

HMAC-SHA256 under the keyring's blind-index key, separated by domain ("phone", "email", …)
so equal strings in different fields do not match.
"""

from __future__ import annotations

import hmac


class BlindIndexer:
    """Computes blind indexes and keyed row digests."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "BlindIndexer(key=***)"

    def index(self, domain: str, normalised: str) -> str:
        """The blind index of a normalised value in a domain."""
        msg = domain.encode() + b"\x00" + normalised.encode("utf-8")
        return hmac.digest(self._key, msg, "sha256").hex()

    def digest(self, parts: tuple[str, ...]) -> str:
        """A keyed digest of a whole row: detects a change without keeping the plaintext."""
        msg = b"row\x00" + "\x1f".join(parts).encode("utf-8")
        return hmac.digest(self._key, msg, "sha256").hex()
