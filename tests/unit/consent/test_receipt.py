"""Receipts carry the Kantara fields, verify offline, and fail when altered or re-signed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from faircollect.consent.catalogue import load_catalogue
from faircollect.consent.receipt import (
    build_receipt,
    load_public_key,
    public_key_pem,
    sign_receipt,
    verify_receipt,
)
from faircollect.consent.record import ConsentRecord
from faircollect.errors import IntegrityError

T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)
KANTARA = {
    "version", "jurisdiction", "consentTimestamp", "collectionMethod", "consentReceiptID",
    "publicKey", "language", "piiPrincipalId", "piiControllers", "policyUrl", "services",
    "sensitive", "spiCat",
}


def _doc(key: Ed25519PrivateKey) -> dict:  # type: ignore[type-arg]
    cat = load_catalogue()
    rec = ConsentRecord(7, "cs-1", "b-1", "contact_designated_contact", "c-1", "grant", T0,
                        T0 + timedelta(days=365), None, "app", "pp-3", "ab" * 32, T0)
    body = build_receipt(receipt_id="r-1", record=rec, purpose=cat.purpose(rec.purpose),
                         catalogue=cat, jurisdiction="CN", language="zh-CN", issued_at=T0,
                         public_key=key.public_key())
    return sign_receipt(body, key)


def test_receipt_has_kantara_fields_and_verifies_after_a_json_round_trip() -> None:
    key = Ed25519PrivateKey.generate()
    doc = _doc(key)
    assert set(doc["receipt"]) >= KANTARA
    purpose = doc["receipt"]["services"][0]["purposes"][0]
    assert {"purpose", "purposeCategory", "consentType", "piiCategory", "termination",
            "thirdPartyDisclosure"} <= set(purpose)
    wire = orjson.loads(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    trusted = load_public_key(public_key_pem(key.public_key()).encode())
    assert verify_receipt(wire, trusted)["faircollect"]["consentId"] == "cs-1"


@pytest.mark.parametrize("path,value", [
    (("receipt", "piiPrincipalId"), "b-2"),
    (("receipt", "faircollect", "expiresAt"), "2099-01-01T00:00:00+00:00"),
    (("receipt", "services", 0, "purposes", 0, "thirdPartyDisclosure"), True),
    (("receipt", "consentTimestamp"), 1),
])
def test_any_altered_field_fails(path: tuple, value: object) -> None:  # type: ignore[type-arg]
    key = Ed25519PrivateKey.generate()
    doc = copy.deepcopy(_doc(key))
    target = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(IntegrityError, match="altered"):
        verify_receipt(doc, key.public_key())


def test_receipt_resigned_by_another_key_fails() -> None:
    ours, theirs = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    forged = _doc(theirs)
    with pytest.raises(IntegrityError):
        verify_receipt(forged, ours.public_key())
    with pytest.raises(IntegrityError):
        verify_receipt({"receipt": "x"}, ours.public_key())
