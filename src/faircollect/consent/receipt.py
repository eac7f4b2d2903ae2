"""Consent receipts: the Kantara Consent Receipt fields, signed with Ed25519, verifiable offline.

A receipt is issued for every grant, renewal and withdrawal. It names the borrower only by
their token (borrower id) and the contact person only by contact id, so it carries no personal
data and can be handed out, stored and logged freely. The signature covers the canonical JSON
of the receipt body (sorted keys, no whitespace); anyone with the controller's public key can
verify it without access to FairCollect.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from faircollect.consent.catalogue import Catalogue, Purpose
from faircollect.consent.record import ConsentRecord
from faircollect.errors import InputError, IntegrityError

RECEIPT_VERSION = "KI-CR-v1.1.0"
SIGNING_KEY_NAME = "consent"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def canonical(body: dict[str, Any]) -> bytes:
    """The bytes a signature covers: JSON with sorted keys and no insignificant whitespace."""
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(raw_public_key(key)).hexdigest()[:16]


def public_key_pem(key: Ed25519PublicKey) -> str:
    """The public key in PEM, to publish for offline verification."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; InputError when it is not one."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise InputError("not a PEM public key", field="public_key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("the public key is not an Ed25519 key", field="public_key")
    return key


def build_receipt(
    *,
    receipt_id: str,
    record: ConsentRecord,
    purpose: Purpose,
    catalogue: Catalogue,
    jurisdiction: str,
    language: str,
    issued_at: datetime,
    public_key: Ed25519PublicKey,
) -> dict[str, Any]:
    """The receipt body for one ledger record (a grant, renewal or withdrawal)."""
    ctl = catalogue.controller
    if record.kind == "withdraw":
        termination = f"withdrawn at {_iso(record.withdrawn_at)}"
    elif record.expires_at is not None:
        termination = f"expires at {_iso(record.expires_at)} unless renewed; withdraw at any time"
    else:
        termination = "until withdrawn; reviewed periodically"
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": jurisdiction,
        "consentTimestamp": int(issued_at.timestamp()),
        "collectionMethod": record.channel or "unknown",
        "consentReceiptID": receipt_id,
        "publicKey": base64.b64encode(raw_public_key(public_key)).decode("ascii"),
        "language": language,
        "piiPrincipalId": record.borrower_id,
        "piiControllers": [
            {
                "piiController": ctl.name,
                "onBehalf": False,
                "contact": ctl.contact,
                "address": ctl.address,
                "email": ctl.email,
                "phone": ctl.phone,
                "piiControllerUrl": ctl.policy_url,
            }
        ],
        "policyUrl": ctl.policy_url,
        "services": [
            {
                "service": "FairCollect collections",
                "purposes": [
                    {
                        "purpose": purpose.title,
                        "purposeCategory": [purpose.id],
                        "consentType": "EXPLICIT",
                        "piiCategory": list(purpose.data_categories),
                        "primaryPurpose": False,
                        "termination": termination,
                        "thirdPartyDisclosure": purpose.third_party,
                        "thirdPartyName": "contracted collection agency" if purpose.third_party
                        else None,
                    }
                ],
            }
        ],
        "sensitive": purpose.sensitive,
        "spiCat": list(purpose.data_categories) if purpose.sensitive else [],
        # FairCollect's own fields: what the ledger recorded, so the receipt stands alone.
        "faircollect": {
            "event": record.kind,
            "consentId": record.consent_id,
            "recordId": record.record_id,
            "contactId": record.contact_id,
            "grantedAt": _iso(record.granted_at),
            "expiresAt": _iso(record.expires_at),
            "withdrawnAt": _iso(record.withdrawn_at),
            "policyVersion": record.policy_version,
            "catalogueVersion": catalogue.version,
            "noticeSha256": record.notice_sha256,
            "legalBasis": purpose.legal_basis,
            "separateConsent": purpose.separate_consent,
        },
    }


def sign_receipt(body: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed receipt document: the body and a detached Ed25519 signature over it."""
    signature = key.sign(canonical(body))
    return {
        "receipt": body,
        "signature": {
            "alg": "Ed25519",
            "keyId": key_id(key.public_key()),
            "value": base64.urlsafe_b64encode(signature).decode("ascii"),
        },
    }


def verify_receipt(document: dict[str, Any], trusted: Ed25519PublicKey) -> dict[str, Any]:
    """The receipt body when the signature verifies under `trusted`; IntegrityError otherwise.

    `trusted` is the controller's published key: a receipt re-signed by anyone else fails even
    if it carries that other party's key in its `publicKey` field.
    """
    try:
        body = document["receipt"]
        sig = document["signature"]
        if not isinstance(body, dict) or sig.get("alg") != "Ed25519":
            raise IntegrityError("not a FairCollect consent receipt")
        signature = base64.urlsafe_b64decode(str(sig["value"]).encode("ascii"))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise IntegrityError("not a FairCollect consent receipt") from exc
    if body.get("publicKey") != base64.b64encode(raw_public_key(trusted)).decode("ascii"):
        raise IntegrityError("the receipt was not issued under the trusted key")
    try:
        trusted.verify(signature, canonical(body))
    except InvalidSignature as exc:
        raise IntegrityError("the receipt's signature does not verify: it was altered") from exc
    return body
