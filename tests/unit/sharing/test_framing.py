"""Signed request framing: what is covered by the signature, freshness, replays, allow-lists."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from faircollect.errors import ConfigError
from faircollect.sharing import framing
from faircollect.sharing.framing import NonceCache, NotAllowed, Refused, Replayed

SEED = bytes(range(32))
NOW = 1_800_000_000


def _allow(*keys: Ed25519PrivateKey) -> framing.AllowList:
    lines = ["peers:"] + [
        f"  - name: p{i}\n    public_key: "
        f"{base64.b64encode(k.public_key().public_bytes_raw()).decode()}"
        for i, k in enumerate(keys)]
    return framing.parse_allow_list("\n".join(lines))


def test_signature_vector() -> None:
    """The signed bytes, pinned: a peer in another language must sign exactly these."""
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    h = framing.sign_request(key, "post", "/psi/v1/sessions", b"{}", now=NOW,
                             nonce="00112233445566778899aabbccddeeff")
    signed = (b"faircollect-psi-v1/request\nPOST\n/psi/v1/sessions\n1800000000\n"
              b"00112233445566778899aabbccddeeff\n" + hashlib.sha256(b"{}").hexdigest().encode())
    key.public_key().verify(base64.b64decode(h[framing.SIG]), signed)
    assert h[framing.KEY] == hashlib.sha256(
        key.public_key().public_bytes_raw()).hexdigest()[:32]
    assert h[framing.TIME] == "1800000000"


def _verify(headers: dict[str, str], allow: framing.AllowList, seen: NonceCache, *,
            method: str = "POST", path: str = "/p", body: bytes = b"x", now: int = NOW
            ) -> framing.Peer:
    return framing.verify_request(headers, method, path, body, allow=allow, now=now, seen=seen)


def test_every_signed_part_is_checked() -> None:
    key = Ed25519PrivateKey.generate()
    allow, seen = _allow(key), NonceCache()
    def fresh() -> dict[str, str]:
        return framing.sign_request(key, "POST", "/p", b"x", now=NOW,
                                    nonce=hashlib.sha256(str(len(seen)).encode()).hexdigest()[:32])
    assert _verify(fresh(), allow, seen).name == "p0"
    for change in ({"method": "PUT"}, {"path": "/q"}, {"body": b"y"}):
        with pytest.raises(Refused, match="signature"):
            _verify(fresh(), allow, NonceCache(), **change)  # type: ignore[arg-type]
    with pytest.raises(Refused, match="timestamp"):
        _verify(fresh(), allow, NonceCache(), now=NOW + framing.SKEW_SECONDS + 1)
    h = fresh()
    _verify(h, allow, seen)
    with pytest.raises(Replayed):
        _verify(h, allow, seen)
    with pytest.raises(Refused, match="unsigned"):
        _verify({}, allow, seen)
    with pytest.raises(NotAllowed):
        _verify(fresh(), _allow(Ed25519PrivateKey.generate()), NonceCache())


def test_answers_are_bound_to_their_request() -> None:
    key = Ed25519PrivateKey.generate()
    allow = _allow(key)
    h = framing.sign_response(key, "n" * 32, b"body")
    assert framing.verify_response(h, "n" * 32, b"body", allow=allow).name == "p0"
    with pytest.raises(Refused):
        framing.verify_response(h, "m" * 32, b"body", allow=allow)
    with pytest.raises(Refused):
        framing.verify_response(h, "n" * 32, b"other", allow=allow)


def test_bad_allow_lists_are_refused() -> None:
    for text in ("peers: 3", "- a", "peers:\n  - name: x\n    public_key: abc",
                 "peers:\n  - public_key: " + base64.b64encode(bytes(32)).decode()):
        with pytest.raises(ConfigError):
            framing.parse_allow_list(text)
