"""Sharing services: this lender's signing key, and audited session records."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from faircollect.bootstrap import App
from faircollect.sharing.session import SessionRecord

SIGNING_KEY_NAME = "sharing"


def lender_key(app: App) -> Ed25519PrivateKey:
    """The Ed25519 key this lender signs sharing requests and answers with (in the keyring)."""
    return app.keys.signing_key(SIGNING_KEY_NAME)


def audit_session(app: App, actor: str, record: SessionRecord) -> None:
    """One audit entry for a finished (or abandoned) PSI session: counts, no identifiers."""
    with app.store.transaction(actor) as uow:
        uow.audit(f"sharing.psi_{record.role}", f"psi:{record.session_id}", record.payload())
