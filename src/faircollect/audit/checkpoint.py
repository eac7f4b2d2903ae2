"""Signed tree heads ("checkpoints") in the C2SP signed-note / tlog-checkpoint text format.

A checkpoint says "the log named ORIGIN had SIZE entries with root hash ROOT at TIME":

    faircollect/audit
    1024
    <base64 root hash>
    time 2026-03-01T12:00:00.000000Z

    — faircollect/audit <base64(key id || Ed25519 signature)>

The signature covers every line above the blank one. The same format is used by Go's
checksum database, Sigstore and the transparency-log witness network, so an outside
witness can keep and check these files with existing tools. The time is an extension line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from faircollect.audit.merkle import HASH_SIZE
from faircollect.errors import InputError, IntegrityError

DEFAULT_ORIGIN = "faircollect/audit"
_DASH = "\u2014"  # the em dash that starts every signature line of a signed note
_ED25519 = b"\x01"  # signed-note algorithm byte for Ed25519


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: origin (log name), size, root hash and the time it was taken."""

    origin: str
    size: int
    root: bytes
    at: str

    def body(self) -> str:
        """The signed text: origin, size, base64 root and a time extension line."""
        return (f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"
                f"time {self.at}\n")


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, key: Ed25519PublicKey) -> bytes:
    """The 4-byte signed-note key id: SHA-256(name || LF || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + raw_public_key(key)).digest()[:4]


def verifier_key(name: str, key: Ed25519PublicKey) -> str:
    """The public key as a signed-note verifier key string `name+keyid+base64(0x01||key)`."""
    return (f"{name}+{key_id(name, key).hex()}+"
            f"{base64.b64encode(_ED25519 + raw_public_key(key)).decode()}")


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> str:
    """The checkpoint as a signed note, signed under the log's origin as key name."""
    body = checkpoint.body()
    sig = key.sign(body.encode())
    tag = base64.b64encode(key_id(checkpoint.origin, key.public_key()) + sig).decode()
    return f"{body}\n{_DASH} {checkpoint.origin} {tag}\n"


def parse(note: str) -> Checkpoint:
    """Read a checkpoint note without checking its signature (InputError when malformed)."""
    body, _ = _split(note)
    lines = body.split("\n")[:-1]
    try:
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        size = int(size_text)
        root = base64.b64decode(root_text, validate=True)
    except (IndexError, ValueError, binascii.Error):
        raise InputError("not a checkpoint: expected origin, size and root lines") from None
    if size < 0 or len(root) != HASH_SIZE or not origin or size_text != str(size):
        raise InputError("not a checkpoint: bad size or root hash")
    at = next((line[5:] for line in lines[3:] if line.startswith("time ")), "")
    return Checkpoint(origin=origin, size=size, root=root, at=at)


def open_note(note: str, key: Ed25519PublicKey, origin: str | None = None) -> Checkpoint:
    """Parse a checkpoint and check it carries a valid signature by `key`.

    Raises InputError when the text is not a checkpoint and IntegrityError when no
    signature by this key verifies (or the note names another log).
    """
    checkpoint = parse(note)
    if origin is not None and checkpoint.origin != origin:
        raise IntegrityError(f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    body, signatures = _split(note)
    wanted = key_id(checkpoint.origin, key)
    for name, blob in signatures:
        if name != checkpoint.origin or blob[:4] != wanted:
            continue
        try:
            key.verify(blob[4:], body.encode())
        except InvalidSignature:
            break
        return checkpoint
    raise IntegrityError(f"checkpoint of size {checkpoint.size} has no valid signature by the "
                         "audit key", size=checkpoint.size)


def _split(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Body text (with its final newline) and the `(name, key id || signature)` lines."""
    body, sep, sigs = note.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise InputError("not a signed note: missing blank line or signature block")
    out: list[tuple[str, bytes]] = []
    for line in sigs[:-1].split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != _DASH:
            raise InputError("not a signed note: bad signature line")
        try:
            out.append((parts[1], base64.b64decode(parts[2], validate=True)))
        except binascii.Error:
            raise InputError("not a signed note: signature is not base64") from None
    return body + "\n", out
