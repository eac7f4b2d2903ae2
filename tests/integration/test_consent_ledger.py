"""The consent ledger on SQLite and PostgreSQL: grants, renewals, withdrawals, review, receipts."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from _privacy_seed import T0, seed
from sqlalchemy import func, select

from faircollect.audit.integrity import verify_log
from faircollect.consent.ledger import ConsentLedger
from faircollect.consent.receipt import verify_receipt
from faircollect.errors import Conflict, InputError, NotFound
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.consent import consent_notices, consent_receipts
from faircollect.store.tables.foundation import consent_records

P = "contact_designated_contact"
NOTICE = "We will ask the person you name to pass on a message if we cannot reach you."
DAY = timedelta(days=1)


@pytest.fixture
def ledger(app):  # type: ignore[no-untyped-def]
    seed(app)
    return ConsentLedger(app.store, app.keys)


def _grant(ledger: ConsentLedger, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = dict(actor="test", borrower_id="b-1", purpose=P, contact_id="c-1",
                                   notice_text=NOTICE, policy_version="pp-3", channel="app",
                                   granted_at=T0, expires_at=T0 + 10 * DAY)
    args.update(kw)
    return ledger.grant(**args)  # type: ignore[arg-type]


def _counts(app) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with app.store.read() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (consent_records, consent_receipts, audit_entries))  # type: ignore[return-value]


def test_grant_withdraw_boundaries_and_signed_receipts(app, ledger) -> None:  # type: ignore[no-untyped-def]
    issued = _grant(ledger)
    assert ledger.valid("b-1", P, "c-1", T0)
    assert not ledger.valid("b-1", P, "c-1", T0 - timedelta(seconds=1))
    assert not ledger.valid("b-1", P, "c-1", T0 + 10 * DAY)
    assert not ledger.valid("b-1", P, "c-3", T0 + DAY)
    w = ledger.withdraw(actor="test", consent_id=issued.consent_id, channel="portal",
                        at=T0 + 4 * DAY)
    assert ledger.valid("b-1", P, "c-1", T0 + 4 * DAY - timedelta(microseconds=1))
    assert not ledger.valid("b-1", P, "c-1", T0 + 4 * DAY)
    key = ledger.public_key()
    assert verify_receipt(issued.receipt, key)["faircollect"]["event"] == "grant"
    stored = ledger.receipts(issued.consent_id)
    assert [d["receipt"]["faircollect"]["event"] for d in stored] == ["grant", "withdraw"]
    for doc in stored:
        verify_receipt(doc, key)
    assert stored[1]["receipt"]["consentReceiptID"] == w.receipt_id
    with app.store.read() as conn:
        kinds = conn.execute(select(consent_records.c.kind).order_by(
            consent_records.c.record_id)).scalars().all()
        notice = conn.execute(select(consent_notices.c.text)).scalar_one()
        actions = conn.execute(select(audit_entries.c.action)).scalars().all()
        assert verify_log(conn, app.keys.signing_key("audit").public_key()).ok
    assert kinds == ["grant", "withdraw"]  # appended, never updated
    assert notice == NOTICE
    assert actions.count("consent.grant") == 1 and actions.count("consent.withdraw") == 1


def test_renewal_extends_without_a_gap_and_decision_shape(ledger) -> None:  # type: ignore[no-untyped-def]
    issued = _grant(ledger)
    ledger.renew(actor="test", consent_id=issued.consent_id, notice_text=NOTICE,
                 policy_version="pp-4", channel="app", at=T0 + 9 * DAY, expires_at=T0 + 30 * DAY)
    assert ledger.valid("b-1", P, "c-1", T0 + 10 * DAY)
    assert not ledger.valid("b-1", P, "c-1", T0 + 30 * DAY)
    entries = ledger.decision_consents("b-1")
    assert entries == [
        {"purpose": P, "contact_id": "c-1", "granted_at": T0, "expires_at": T0 + 10 * DAY,
         "withdrawn_at": None},
        {"purpose": P, "contact_id": "c-1", "granted_at": T0 + 9 * DAY,
         "expires_at": T0 + 30 * DAY, "withdrawn_at": None},
    ]
    q = pl.DataFrame({"borrower_id": ["b-1", "b-1", "b-2"], "purpose": [P] * 3,
                      "contact_id": ["c-1", "c-1", "c-3"],
                      "at": [T0 + 20 * DAY, T0 + 31 * DAY, T0 + DAY]})
    assert ledger.valid_frame(q)["consent_valid"].to_list() == [True, False, False]


def test_default_expiry_comes_from_the_catalogue(ledger) -> None:  # type: ignore[no-untyped-def]
    issued = _grant(ledger, expires_at=None)
    days = ledger.catalogue.purpose(P).default_days
    assert issued.receipt["receipt"]["faircollect"]["expiresAt"] == (
        T0 + timedelta(days=days)).isoformat()


@pytest.mark.parametrize("kw,error,match", [
    ({"purpose": "spam"}, InputError, "unknown consent purpose"),
    ({"contact_id": "c-3"}, InputError, "not a contact of borrower b-1"),
    ({"contact_id": "c-2"}, InputError, "address book"),
    ({"contact_id": "c-404"}, NotFound, "no contact"),
    ({"borrower_id": "b-404", "contact_id": None, "purpose": "marketing"}, NotFound,
     "no borrower"),
    ({"contact_id": None}, InputError, "needs a contact_id"),
    ({"channel": "fax"}, InputError, "unknown channel"),
    ({"notice_text": "  "}, InputError, "notice text"),
    ({"expires_at": T0 - DAY}, InputError, "after granted_at"),
])
def test_bad_grant_is_refused_and_changes_nothing(app, ledger, kw, error, match) -> None:  # type: ignore[no-untyped-def]
    before = _counts(app)
    with pytest.raises(error, match=match):
        _grant(ledger, **kw)
    assert _counts(app) == before


def test_withdrawing_twice_or_renewing_a_withdrawn_consent_is_a_conflict(app, ledger) -> None:  # type: ignore[no-untyped-def]
    issued = _grant(ledger)
    ledger.withdraw(actor="test", consent_id=issued.consent_id, channel="app", at=T0 + DAY)
    before = _counts(app)
    with pytest.raises(Conflict, match="already withdrawn"):
        ledger.withdraw(actor="test", consent_id=issued.consent_id, channel="app")
    with pytest.raises(Conflict, match="withdrawn"):
        ledger.renew(actor="test", consent_id=issued.consent_id, notice_text=NOTICE,
                     policy_version="pp-3", channel="app")
    with pytest.raises(NotFound):
        ledger.withdraw(actor="test", consent_id="cs-404", channel="app")
    assert _counts(app) == before


def test_review_lists_expiring_and_stops_lapsed_and_overdue(app, ledger) -> None:  # type: ignore[no-untyped-def]
    soon = _grant(ledger, expires_at=T0 + 40 * DAY)
    lapsed = _grant(ledger, borrower_id="b-2", contact_id="c-3", expires_at=T0 + 5 * DAY)
    # an open-ended consent (as an import may hold) older than the purpose allows
    with app.store.transaction("test") as uow:
        from sqlalchemy import insert
        uow.conn.execute(insert(consent_records).values(
            consent_id="cs-old", borrower_id="b-3", purpose=P, contact_id="c-4", kind="grant",
            granted_at=T0 - 400 * DAY, expires_at=None, withdrawn_at=None, recorded_at=T0))
    as_of = T0 + 20 * DAY
    assert ledger.valid("b-3", P, "c-4", as_of)
    before = _counts(app)
    preview = ledger.review(actor="test", as_of=as_of)  # reads only
    assert not preview.applied and _counts(app) == before
    assert [s.consent_id for s in preview.lapsed] == [lapsed.consent_id]
    assert [s.consent_id for s in preview.overdue] == ["cs-old"]
    assert preview.overdue[0].status == "expired"  # the state the stop would leave
    assert ledger.valid("b-3", P, "c-4", as_of)
    review = ledger.review(actor="test", as_of=as_of, apply=True)
    assert review.applied and review.overdue == preview.overdue
    assert [s.consent_id for s in review.expiring] == [soon.consent_id]
    assert [s.consent_id for s in review.lapsed] == [lapsed.consent_id]
    assert [s.consent_id for s in review.overdue] == ["cs-old"]
    assert not ledger.valid("b-3", P, "c-4", as_of)
    assert ledger.valid("b-3", P, "c-4", as_of - timedelta(seconds=1))  # the past stays true
    assert ledger.valid("b-1", P, "c-1", as_of)  # expiring is listed, not stopped
    again = ledger.review(actor="test", as_of=as_of, apply=True)
    assert not again.lapsed and not again.overdue
