"""The borrower adds and removes their own designated contact persons (consent.designated),
on SQLite and PostgreSQL: stored sealed like an import, consented in the ledger, audited; a
removal withdraws the consent, refuses contact and drops the person's data, and the
planner's inputs stop offering them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from _privacy_seed import seed
from sqlalchemy import select

from faircollect.consent import designated
from faircollect.consent.ledger import ConsentLedger
from faircollect.errors import AccessDenied, Conflict, InputError
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.foundation import contacts
from faircollect.strategy.loader import load_inputs

T = datetime(2026, 2, 10, 9, tzinfo=UTC)
PHONE = "139 1234 5678"  # a CN mobile as a borrower types it
NOTICE = "I agree that you may ask this person to pass on a request to call me."


class Clock:
    def __init__(self) -> None:
        self.now = T

    def __call__(self) -> datetime:
        return self.now


def _actions(app) -> list[dict]:  # type: ignore[no-untyped-def]
    with app.store.read() as conn:
        return [json.loads(r) for r in conn.execute(
            select(audit_entries.c.record).order_by(audit_entries.c.seq)).scalars()]


def _inputs(app, contact_id: str):  # type: ignore[no-untyped-def]
    with app.store.read() as conn:
        inp, _ = load_inputs(conn, (app.store.clock() + timedelta(days=2)).date(), min_dpd=-400)
    c = inp.contacts.filter(inp.contacts["contact_id"] == contact_id)
    s = inp.consents.filter(inp.consents["contact_id"] == contact_id)
    return c, s


def test_a_borrower_adds_then_removes_a_designated_contact(app) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    app.store.clock = clock
    seed(app)
    cid, consent_id = designated.add_designated_contact(
        app, actor="borrower:b-1", borrower_id="b-1", name="  赵 六 ", phone=PHONE,
        relation="parent", notice_text=NOTICE, policy_version="portal-1")
    with app.store.read() as conn:
        row = conn.execute(select(contacts).where(contacts.c.contact_id == cid)).one()
        cipher = app.vault.cipher(conn, "b-1")
    assert row.source == "borrower_designated" and row.relation == "parent"
    assert app.vault.open(cipher, row.phone_ct, "contacts", "phone", cid) == "+8613912345678"
    assert app.vault.open(cipher, row.name_ct, "contacts", "name", cid) == "赵 六"
    assert row.phone_bidx == app.vault.indexer.index("phone", "+8613912345678")
    assert b"13912345678" not in row.phone_ct  # sealed, not stored in the clear
    ledger = ConsentLedger(app.store, app.keys)
    assert ledger.valid("b-1", "contact_designated_contact", cid, T + timedelta(minutes=1))
    listed = designated.designated_contacts(app, "b-1")
    mine = [d for d in listed if d.contact_id == cid]
    assert mine and mine[0].phone_hint == "•• 78"
    c, s = _inputs(app, cid)
    assert c["source"].to_list() == ["borrower_designated"] and c["refused"].to_list() == [False]
    assert s["withdrawn_at"].to_list() == [None]
    added = [a for a in _actions(app) if a["action"] == "contact.designated_added"]
    assert added and added[-1]["subject"] == f"contact:{cid}"
    assert "13912345678" not in json.dumps(_actions(app), ensure_ascii=False)
    assert "赵" not in json.dumps(_actions(app), ensure_ascii=False)

    # The same person twice, another borrower's removal, and bad input are refused.
    with pytest.raises(Conflict):
        designated.add_designated_contact(
            app, actor="borrower:b-1", borrower_id="b-1", name="x", phone="+86 139-1234-5678",
            relation="friend", notice_text=NOTICE, policy_version="portal-1")
    with pytest.raises(InputError) as bad:
        designated.add_designated_contact(
            app, actor="borrower:b-1", borrower_id="b-1", name="x", phone="12",
            relation="friend", notice_text=NOTICE, policy_version="portal-1")
    assert bad.value.fields["field"] == "phone" and "12" not in str(bad.value)
    with pytest.raises(InputError, match="relation"):
        designated.add_designated_contact(
            app, actor="borrower:b-1", borrower_id="b-1", name="x", phone=PHONE,
            relation="guarantor", notice_text=NOTICE, policy_version="portal-1")
    with pytest.raises(AccessDenied):
        designated.remove_designated_contact(app, actor="borrower:b-2", borrower_id="b-2",
                                             contact_id=cid)
    with pytest.raises(AccessDenied):  # an imported address-book contact is not theirs to drop
        designated.remove_designated_contact(app, actor="borrower:b-1", borrower_id="b-1",
                                             contact_id="c-2")

    clock.now = T + timedelta(hours=1)
    withdrawn = designated.remove_designated_contact(app, actor="borrower:b-1",
                                                     borrower_id="b-1", contact_id=cid)
    assert withdrawn == [consent_id]
    assert not ledger.valid("b-1", "contact_designated_contact", cid, clock.now)
    with app.store.read() as conn:
        row = conn.execute(select(contacts).where(contacts.c.contact_id == cid)).one()
    assert row.refused_contact and row.name_ct is None and row.phone_ct is None
    assert row.phone_bidx is None
    assert cid not in [d.contact_id for d in designated.designated_contacts(app, "b-1")]
    c, s = _inputs(app, cid)
    assert c["refused"].to_list() == [True] and s["withdrawn_at"].to_list() != [None]
    actions = [a["action"] for a in _actions(app)]
    assert "contact.designated_removed" in actions
    with pytest.raises(Conflict):
        designated.remove_designated_contact(app, actor="borrower:b-1", borrower_id="b-1",
                                             contact_id=cid)


def test_a_contact_is_not_kept_when_its_consent_cannot_be_recorded(app) -> None:  # type: ignore[no-untyped-def]
    app.store.clock = Clock()
    seed(app)
    with pytest.raises(InputError, match="notice"):
        designated.add_designated_contact(
            app, actor="borrower:b-1", borrower_id="b-1", name="赵六", phone=PHONE,
            relation="parent", notice_text=" ", policy_version="portal-1")
    with app.store.read() as conn:
        held = conn.execute(select(contacts.c.contact_id).where(
            contacts.c.phone_bidx == app.vault.indexer.index("phone", "+8613912345678"))).all()
    assert held == []
