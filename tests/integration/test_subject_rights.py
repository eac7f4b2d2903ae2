"""Subject export and erasure by crypto-shredding; key rotation keeps everything readable."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from _privacy_seed import CONTACTS, PEOPLE, T0, seed
from sqlalchemy import select

from faircollect.access.guard import Actor, Guard
from faircollect.access.rotation import key_status, rotate_master_key
from faircollect.audit.integrity import verify_log
from faircollect.consent.ledger import ConsentLedger
from faircollect.errors import AccessDenied, Conflict, KeyUnavailable
from faircollect.store.tables.foundation import borrowers, contacts, data_keys, payments
from faircollect.subject.erase import erase_subject
from faircollect.subject.export import export_subject
from faircollect.vault.keys import LocalKeyring
from faircollect.vault.vault import Vault

DPO = Actor("dpo-1", "compliance")


@pytest.fixture
def seeded(app):  # type: ignore[no-untyped-def]
    seed(app)
    ConsentLedger(app.store, app.keys).grant(
        actor="test", borrower_id="b-1", purpose="contact_designated_contact", contact_id="c-1",
        notice_text="notice", policy_version="pp-1", channel="app", granted_at=T0)
    return app


def test_export_holds_everything_decrypted_and_is_audited(seeded) -> None:  # type: ignore[no-untyped-def]
    guard = Guard(seeded.store, seeded.vault)
    doc = export_subject(guard, DPO, "b-1")
    raw = orjson.dumps(doc).decode()
    assert doc["borrower"]["phone"] == PEOPLE["b-1"]["phone"]
    assert doc["borrower"]["national_id"] == PEOPLE["b-1"]["national_id"]
    assert {c["contact_id"]: c["phone"] for c in doc["contacts"]} == {
        "c-1": CONTACTS["c-1"][4], "c-2": CONTACTS["c-2"][4]}
    assert [c["purpose"] for c in doc["consents"]] == ["contact_designated_contact"]
    assert len(doc["consent_receipts"]) == 1
    assert doc["loans"][0]["principal_minor"] == 120000
    assert doc["records"]["payments"][0]["amount_minor"] == 50000
    assert {"consent.grant", "access.read"} <= {h["action"] for h in doc["history"]}
    # The other borrower's id as a JSON value (a random receipt UUID may hold "b-2" inside).
    assert '"b-2"' not in raw and PEOPLE["b-2"]["phone"] not in raw
    assert "_ct" not in "".join(doc["borrower"])  # no ciphertext columns
    with pytest.raises(AccessDenied):
        export_subject(guard, Actor("col-1", "collector"), "b-1")


def test_erasure_leaves_nothing_readable_keeps_amounts_and_the_log_verifies(seeded) -> None:  # type: ignore[no-untyped-def]
    app = seeded
    erase = erase_subject(app.store, app.vault, actor="dpo-1", borrower_id="b-1")
    assert erase.key_destroyed and erase.contacts_cleared == 2
    fresh = Vault(LocalKeyring.open(app.settings.home))  # no cached key anywhere
    with app.store.read() as conn:
        with pytest.raises(KeyUnavailable):
            fresh.cipher(conn, "b-1")
        b = conn.execute(select(borrowers).where(borrowers.c.borrower_id == "b-1")).mappings().one()
        assert all(b[c] is None for c in ("full_name_ct", "phone_ct", "national_id_ct",
                                          "email_ct", "phone_bidx")) and b["erased_at"]
        assert conn.execute(select(contacts.c.phone_ct).where(
            contacts.c.borrower_id == "b-1")).scalars().all() == [None, None]
        assert conn.execute(select(payments.c.amount_minor)).scalars().all() == [50000] * 3
        assert conn.execute(select(data_keys.c.wrapped_key).where(
            data_keys.c.borrower_id == "b-1")).scalar_one() is None
        assert verify_log(conn, app.keys.signing_key("audit").public_key()).ok
    guard = Guard(app.store, fresh)
    doc = export_subject(guard, DPO, "b-1")
    assert doc["erased"] and doc["borrower"]["view"] == "erased"
    assert PEOPLE["b-1"]["phone"] not in orjson.dumps(doc).decode()
    assert {c["view"] for c in doc["contacts"]} == {"erased"}
    # others are untouched
    assert guard.borrower(DPO, "b-2", purpose="data_subject_request", full=True).values[
        "phone"] == PEOPLE["b-2"]["phone"]
    with pytest.raises(Conflict, match="already erased"):
        erase_subject(app.store, app.vault, actor="dpo-1", borrower_id="b-1")


def test_rotation_rewraps_every_key_retires_the_old_and_keeps_data_readable(seeded) -> None:  # type: ignore[no-untyped-def]
    app = seeded
    erase_subject(app.store, app.vault, actor="dpo-1", borrower_id="b-3")
    old = app.keys.current_master_id()
    result = rotate_master_key(app.store, app.keys, app.vault, actor="admin-1")
    assert result.rewrapped == 2 and result.retired == (old,) and not result.kept
    status = key_status(app.store, app.keys)
    assert status.masters == {result.new_master: 2} and status.destroyed == 1
    ring = LocalKeyring.open(app.settings.home)  # reopened from disk: old master gone
    assert ring.master_ids() == [result.new_master]
    guard = Guard(app.store, Vault(ring))
    for bid in ("b-1", "b-2"):
        got = guard.borrower(DPO, bid, purpose="data_subject_request", full=True)
        assert got.values["phone"] == PEOPLE[bid]["phone"]
    with app.store.read() as conn:
        assert verify_log(conn, app.keys.signing_key("audit").public_key()).ok
    _ = timedelta
