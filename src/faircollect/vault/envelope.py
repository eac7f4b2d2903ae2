"""Envelope encryption: a data key per borrower (AES-256-GCM) wrapped by a master key.

Each field's ciphertext is bound to its place (table, column, record id) through the AEAD's
associated data, so a ciphertext copied into another row or column fails to decrypt.
Destroying a borrower's wrapped data key makes every one of their ciphertexts unreadable
(crypto-shredding).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from faircollect.errors import IntegrityError

_VERSION = b"\x01"


def new_data_key() -> bytes:
    """A fresh 256-bit data key."""
    return AESGCM.generate_key(bit_length=256)


def field_context(table: str, column: str, record_id: str) -> bytes:
    """The associated data that binds a ciphertext to its place."""
    return f"{table}.{column}:{record_id}".encode()


def seal(cipher: AESGCM, plaintext: str, context: bytes) -> bytes:
    """Encrypt one field value."""
    nonce = os.urandom(12)
    return _VERSION + nonce + cipher.encrypt(nonce, plaintext.encode("utf-8"), context)


def open_sealed(cipher: AESGCM, blob: bytes, context: bytes) -> str:
    """Decrypt one field value; a tampered or misplaced ciphertext raises IntegrityError."""
    if blob[:1] != _VERSION:
        raise IntegrityError("unknown ciphertext version")
    try:
        return cipher.decrypt(blob[1:13], blob[13:], context).decode("utf-8")
    except InvalidTag as exc:
        raise IntegrityError("a ciphertext failed authentication") from exc


def data_key_context(borrower_id: str) -> bytes:
    """Associated data for wrapping a borrower's data key."""
    return b"data-key:" + borrower_id.encode()
