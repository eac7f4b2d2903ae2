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

Parsing is strict (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint, and the
FairCollect profile of exactly four body lines): the standalone verifier
(`faircollect.audit.verify`) repeats the same rules independently and tests hold the two
to the same answers on fixed vectors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
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
MAX_SIGNATURES = 100  # signed-note: verifiers cap the count, and must accept at least 16
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")  # ASCII decimal, no sign, no leading zeros
_TIME = re.compile(r"time [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # ASCII controls other than newline


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


def fingerprint(name: str, key: Ed25519PublicKey) -> str:
    """The key's published fingerprint: `SHA256:` and the hex SHA-256 of what the key id hashes.

    That is SHA-256(name || LF || 0x01 || public key) in full, so its first 8 hex digits are
    the signed-note key id. The 4-byte id only names a key (anyone can make a key with the
    same id); the full hash is what a regulator compares with the lender's published one.
    """
    digest = hashlib.sha256(name.encode() + b"\n" + _ED25519 + raw_public_key(key)).hexdigest()
    return f"SHA256:{digest}"


def sign_note(text: str, name: str, key: Ed25519PrivateKey) -> str:
    """`text` (ending in a newline) as a signed note with one Ed25519 signature by `name`."""
    if not text.endswith("\n"):
        raise InputError("a note's text must end with a newline")
    tag = base64.b64encode(key_id(name, key.public_key()) + key.sign(text.encode())).decode()
    return f"{text}\n{_DASH} {name} {tag}\n"


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> str:
    """The checkpoint as a signed note, signed under the log's origin as key name."""
    return sign_note(checkpoint.body(), checkpoint.origin, key)


def parse(note: str) -> Checkpoint:
    """Read a checkpoint note without checking its signature (InputError when malformed)."""
    body, _ = _split(note)
    return _parse_body(body)


def _parse_body(body: str) -> Checkpoint:
    """The four lines of a FairCollect checkpoint: origin, size, root hash, time."""
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise InputError("not a checkpoint: expected origin, tree size and root hash lines")
    if any(not line for line in lines):
        raise InputError("not a checkpoint: an empty line in the checkpoint text (only one "
                         "blank line, between the text and the signatures, is allowed)")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not _SIZE.fullmatch(size_text) or int(size_text) >= 1 << 64:
        raise InputError("not a checkpoint: the tree size must be decimal digits without "
                         f"sign, spaces or leading zeros, below 2^64: {size_text!r}")
    root = _strict_b64(root_text)
    if root is None or len(root) != HASH_SIZE:
        raise InputError("not a checkpoint: the root hash must be exactly 32 bytes in "
                         f"standard base64: {root_text!r}")
    if len(lines) != 4 or not _TIME.fullmatch(lines[3]):
        raise InputError("not a checkpoint: after the root hash comes exactly one line, "
                         "`time YYYY-MM-DDTHH:MM:SS.ffffffZ`, and no extra lines")
    return Checkpoint(origin=origin, size=int(size_text), root=root, at=lines[3][5:])


def open_note(note: str, key: Ed25519PublicKey, origin: str | None = None) -> Checkpoint:
    """Parse a checkpoint and check it carries a valid signature by `key`.

    The key's name is the checkpoint's origin (default: whatever the note says). Per
    signed-note, a signature line whose key name and key id both match `key` must verify
    (else the whole note is rejected); lines of other keys (a witness, a rotated key) are
    ignored; and at least one signature by `key` must verify. Raises InputError when the
    text is not a well-formed checkpoint and IntegrityError when the signature check fails
    (or the note names another log).
    """
    body, signatures = _split(note)
    checkpoint = _parse_body(body)
    if origin is not None and checkpoint.origin != origin:
        raise IntegrityError(f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    wanted = key_id(checkpoint.origin, key)
    verified = False
    for name, blob in dict.fromkeys(signatures):  # a repeated line is checked once
        if name != checkpoint.origin or blob[:4] != wanted:
            continue  # an unknown key, even if it shares the name or the id
        try:
            key.verify(blob[4:], body.encode())
        except InvalidSignature:
            raise IntegrityError(f"checkpoint of size {checkpoint.size} carries a signature "
                                 "by the audit key that does not verify",
                                 size=checkpoint.size) from None
        verified = True
    if not verified:
        raise IntegrityError(f"checkpoint of size {checkpoint.size} has no valid signature by "
                             "the audit key", size=checkpoint.size)
    return checkpoint


def _strict_b64(text: str) -> bytes | None:
    """Standard base64 with padding, in its one canonical spelling; None otherwise."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if base64.b64encode(data).decode() == text else None


def _split(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Body text (with its final newline) and the `(name, key id || signature)` lines."""
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("not a signed note: it is not valid UTF-8") from None
    if _CONTROL.search(note):
        raise InputError("not a signed note: it holds a control character other than newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise InputError("not a signed note: no blank line before the signatures")
    body, sigs = note[: cut + 1], note[cut + 2 :]
    if not sigs or not sigs.endswith("\n"):
        raise InputError("not a signed note: the signature lines must follow the blank line, "
                         "each ending with a newline")
    lines = sigs[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InputError(f"not a signed note: more than {MAX_SIGNATURES} signatures")
    out: list[tuple[str, bytes]] = []
    for line in lines:
        dash, _, rest = line.partition(" ")
        name, _, b64 = rest.partition(" ")
        blob = _strict_b64(b64)
        if (dash != _DASH or not name or "+" in name or any(ch.isspace() for ch in name)
                or blob is None or len(blob) < 5):
            raise InputError(f"not a signed note: bad signature line {line!r} (expected "
                             f"'{_DASH} name base64(key id || signature)')")
        out.append((name, blob))
    return body, out
