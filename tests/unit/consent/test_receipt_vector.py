"""The consent receipt's signature, pinned by a fixed vector computed outside the code.

docs/consent-and-access.md: a receipt "is signed with Ed25519 (key `consent` in the keyring)
over canonical JSON" (sorted keys, no insignificant whitespace, UTF-8). The expected bytes
below were written with the stdlib (`json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`) and signed with `openssl pkeyutl -sign -rawin` under the RFC 8032
section 7.1 TEST 1 key; Ed25519 is deterministic, so the signature is fixed. The key id is
`sha256(raw public key)` in hex, first 16 digits (`sha256sum`). A verifier outside
FairCollect following the docs would compute exactly these.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from faircollect.consent.receipt import canonical, key_id, sign_receipt, verify_receipt

SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
BODY = {"version": "KI-CR-v1.1.0", "jurisdiction": "CN", "consentTimestamp": 1767258000,
        "consentReceiptID": "r-1",
        "publicKey": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "language": "zh-CN", "piiPrincipalId": "b-1",
        "services": [{"service": "FairCollect collections", "purposes": [
            {"purpose": "联系指定联系人", "consentType": "EXPLICIT", "thirdPartyName": None,
             "primaryPurpose": False}]}],
        "sensitive": False, "spiCat": [],
        "faircollect": {"event": "grant", "consentId": "cs-1", "expiresAt": None,
                        "grantedAt": "2026-01-01T09:00:00+00:00"}}
CANONICAL = (
    '{"consentReceiptID":"r-1","consentTimestamp":1767258000,"faircollect":{"consentId":"cs-1",'
    '"event":"grant","expiresAt":null,"grantedAt":"2026-01-01T09:00:00+00:00"},'
    '"jurisdiction":"CN","language":"zh-CN","piiPrincipalId":"b-1",'
    '"publicKey":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=","sensitive":false,'
    '"services":[{"purposes":[{"consentType":"EXPLICIT","primaryPurpose":false,'
    '"purpose":"联系指定联系人","thirdPartyName":null}],"service":"FairCollect collections"}],'
    '"spiCat":[],"version":"KI-CR-v1.1.0"}').encode()
SIGNATURE = ("yNaj9H6gA0zLTyIQURI_4V12bx_BkPzx8xU-Q4act7YKgmA5rPW17qg-_6N4zwsHIbz2c-o3-6WsAls6"
             "YrmOCA==")
KEY_ID = "21fe31dfa154a261"


def test_canonical_json_is_the_documented_bytes() -> None:
    assert canonical(BODY) == CANONICAL


def test_receipt_signature_fixed_vector() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    doc = sign_receipt(BODY, key)
    assert doc["receipt"] == BODY
    assert doc["signature"] == {"alg": "Ed25519", "keyId": KEY_ID, "value": SIGNATURE}
    assert key_id(key.public_key()) == KEY_ID


def test_a_receipt_signed_outside_faircollect_verifies() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    assert key.public_key().public_bytes_raw() == PUBLIC
    assert BODY["publicKey"] == base64.b64encode(PUBLIC).decode()
    doc = {"receipt": BODY, "signature": {"alg": "Ed25519", "keyId": KEY_ID, "value": SIGNATURE}}
    assert verify_receipt(doc, key.public_key()) == BODY
