"""Signed requests between lenders: who sent it, that it was not changed, that it is new.

Every request carries four headers: the sender's key id (a fingerprint of its Ed25519 public
key), a Unix timestamp, a random nonce and an Ed25519 signature over

    faircollect-psi-v1/request \\n METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n SHA-256(BODY)

The receiver refuses a request that is unsigned, from a key not on its allow-list, signed
wrongly (a changed method, path or body), older or newer than the allowed clock skew, or whose
nonce it has seen within that window (a replay). Answers are signed the same way over the
request's nonce and the answer's body, so the querier knows who answered and that the answer
belongs to its request.

Pure: the clock is passed in, the nonce cache is a plain object.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from faircollect.errors import AccessDenied, ConfigError

KEY, TIME, NONCE, SIG = "x-fc-key", "x-fc-time", "x-fc-nonce", "x-fc-signature"
SKEW_SECONDS = 300
_REQ = b"faircollect-psi-v1/request"
_RESP = b"faircollect-psi-v1/response"


class Refused(AccessDenied):
    """A request or answer failed the signature, allow-list or freshness check."""

    http_status = 401
    code = "refused"


class NotAllowed(Refused):
    http_status = 403
    code = "peer_not_allowed"


class Replayed(Refused):
    http_status = 409
    code = "replayed"


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes_raw()


def key_id(public: bytes) -> str:
    """The id a peer's key goes by: the first 16 bytes of SHA-256 of the raw key, in hex."""
    return hashlib.sha256(public).hexdigest()[:32]


@dataclass(frozen=True)
class Peer:
    name: str
    public_key: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)


@dataclass(frozen=True)
class AllowList:
    """The peers whose signed requests are accepted, by key id."""

    peers: Mapping[str, Peer]

    def get(self, kid: str) -> Peer | None:
        return self.peers.get(kid)


def parse_allow_list(text: str, source: str = "allow-list") -> AllowList:
    """`peers: [{name: ..., public_key: <base64 of the raw 32-byte Ed25519 key>}]`."""
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        raise ConfigError(f"{source} is not YAML", file=source) from None
    entries = doc.get("peers") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{source} needs a list `peers`", file=source)
    peers: dict[str, Peer] = {}
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ConfigError(f"{source}: peer {n} needs a name", file=source)
        try:
            raw = base64.b64decode(str(entry.get("public_key", "")), validate=True)
        except binascii.Error:
            raw = b""
        if len(raw) != 32:
            raise ConfigError(f"{source}: peer {entry['name']!r} needs public_key, the base64 "
                              "of a 32-byte Ed25519 key", file=source)
        peer = Peer(entry["name"], raw)
        peers[peer.key_id] = peer
    return AllowList(peers)


def load_allow_list(path: Path) -> AllowList:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise ConfigError(f"cannot read the peer allow-list {path}", file=str(path)) from None
    return parse_allow_list(text, str(path))


def _request_bytes(method: str, path: str, ts: str, nonce: str, body: bytes) -> bytes:
    return b"\n".join([_REQ, method.upper().encode(), path.encode(), ts.encode(),
                       nonce.encode(), hashlib.sha256(body).hexdigest().encode()])


def sign_request(key: Ed25519PrivateKey, method: str, path: str, body: bytes, *,
                 now: int, nonce: str) -> dict[str, str]:
    """The headers that sign one request."""
    ts = str(int(now))
    sig = key.sign(_request_bytes(method, path, ts, nonce, body))
    return {KEY: key_id(public_raw(key.public_key())), TIME: ts, NONCE: nonce,
            SIG: base64.b64encode(sig).decode()}


class NonceCache:
    """Nonces seen within the freshness window (older ones are refused by their time)."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, kid: str, nonce: str, ts: int, now: int) -> bool:
        """False when (key, nonce) was seen already."""
        if len(self._seen) > 10_000:
            self._seen = {k: t for k, t in self._seen.items() if t >= now - SKEW_SECONDS}
        k = f"{kid}:{nonce}"
        if k in self._seen:
            return False
        self._seen[k] = ts
        return True


def verify_request(headers: Mapping[str, str], method: str, path: str, body: bytes, *,
                   allow: AllowList, now: int, seen: NonceCache) -> Peer:
    """The peer that signed this request; Refused (or a subclass) otherwise."""
    values = {h: headers.get(h) for h in (KEY, TIME, NONCE, SIG)}
    missing = [h for h, v in values.items() if not v]
    if missing:
        raise Refused(f"unsigned request: missing {', '.join(missing)}")
    kid, ts, nonce, sig = (str(values[h]) for h in (KEY, TIME, NONCE, SIG))
    peer = allow.get(kid)
    if peer is None:
        raise NotAllowed("the signing key is not on this lender's peer allow-list", key_id=kid)
    if not ts.isdigit() or abs(int(ts) - now) > SKEW_SECONDS:
        raise Refused(f"the request's timestamp is more than {SKEW_SECONDS} s off this clock")
    if not 16 <= len(nonce) <= 64:
        raise Refused("the request's nonce must have 16 to 64 characters")
    try:
        Ed25519PublicKey.from_public_bytes(peer.public_key).verify(
            base64.b64decode(sig, validate=True), _request_bytes(method, path, ts, nonce, body))
    except (InvalidSignature, binascii.Error, ValueError):
        raise Refused("the request's signature does not verify", peer=peer.name) from None
    if not seen.add(kid, nonce, int(ts), now):
        raise Replayed("this request was already received (replay)", peer=peer.name)
    return peer


def sign_response(key: Ed25519PrivateKey, request_nonce: str, body: bytes) -> dict[str, str]:
    sig = key.sign(_RESP + b"\n" + request_nonce.encode() + b"\n"
                   + hashlib.sha256(body).hexdigest().encode())
    return {KEY: key_id(public_raw(key.public_key())), SIG: base64.b64encode(sig).decode()}


def verify_response(headers: Mapping[str, str], request_nonce: str, body: bytes, *,
                    allow: AllowList) -> Peer:
    """The peer that answered; Refused unless an allow-listed key signed this very answer."""
    kid, sig = headers.get(KEY), headers.get(SIG)
    if not kid or not sig:
        raise Refused("the peer's answer is not signed")
    peer = allow.get(kid)
    if peer is None:
        raise NotAllowed("the answering key is not on this lender's peer allow-list")
    try:
        Ed25519PublicKey.from_public_bytes(peer.public_key).verify(
            base64.b64decode(sig, validate=True),
            _RESP + b"\n" + request_nonce.encode() + b"\n"
            + hashlib.sha256(body).hexdigest().encode())
    except (InvalidSignature, binascii.Error, ValueError):
        raise Refused("the peer's answer signature does not verify", peer=peer.name) from None
    return peer
