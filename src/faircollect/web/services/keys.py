"""Keys the web faces derive from the keyring (never stored): CSRF tokens and TOTP secrets."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from faircollect.bootstrap import App


def derived(app: App, purpose: str) -> bytes:
    """A 32-byte key for one purpose of the web faces, from the keyring's blind-index key."""
    return HKDF(hashes.SHA256(), 32, salt=None,
                info=f"faircollect web {purpose}".encode()).derive(app.keys.blind_index_key())


def totp_cipher(app: App) -> AESGCM:
    return AESGCM(derived(app, "totp secrets"))
