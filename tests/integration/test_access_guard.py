"""The access guard: masked reads for assigned collectors, denials, full reads by purpose, audit."""

from __future__ import annotations

import orjson
import pytest
from _privacy_seed import CONTACTS, PEOPLE, seed
from sqlalchemy import select

from faircollect.access.assignment import assign, release
from faircollect.access.guard import Actor, Guard
from faircollect.errors import AccessDenied
from faircollect.store.tables.audit import audit_entries


@pytest.fixture
def guard(app):  # type: ignore[no-untyped-def]
    seed(app)
    assign(app.store, actor="lead", borrower_id="b-1", collector_id="col-7")
    return Guard(app.store, app.vault)


def _entries(app, action: str) -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def,type-arg]
    with app.store.read() as conn:
        rows = conn.execute(select(audit_entries.c.actor, audit_entries.c.subject,
                                   audit_entries.c.record)
                            .where(audit_entries.c.action == action)
                            .order_by(audit_entries.c.seq)).all()
    return [(a, s, orjson.loads(r)["payload"]) for a, s, r in rows]


def test_collector_sees_masked_values_of_assigned_case_and_each_read_is_audited(app, guard) -> None:  # type: ignore[no-untyped-def]
    col = Actor("col-7", "collector")
    views = guard.contacts(col, ["b-1"], purpose="collection")
    by_id = {v.contact_id: v for v in views}
    assert by_id["c-1"].view == "masked"
    assert by_id["c-1"].phone == "139****1111" and by_id["c-1"].name == "李*"
    # the address-book contact is never decrypted for collection
    assert by_id["c-2"].view == "withheld" and by_id["c-2"].phone is None
    b = guard.borrower(col, "b-1", purpose="collection", fields=("full_name", "phone"))
    assert b.values == {"full_name": "张**", "phone": "138****5699"}
    reads = _entries(app, "access.read")
    assert [(a, s) for a, s, _ in reads] == [("col-7", "b-1"), ("col-7", "b-1")]
    assert reads[0][2]["records"] == 1 and reads[0][2]["purpose"] == "collection"
    assert reads[0][2]["fields"] == "contact.name,contact.phone"
    assert reads[0][2]["role"] == "collector" and reads[0][2]["view"] == "masked"
    assert reads[1][2]["fields"] == "borrower.full_name,borrower.phone"
    text = str(reads)
    assert all(p["phone"] not in text for p in PEOPLE.values())


def test_collector_outside_assigned_cases_is_denied_and_nothing_is_read(app, guard) -> None:  # type: ignore[no-untyped-def]
    col = Actor("col-7", "collector")
    with pytest.raises(AccessDenied, match="not assigned"):
        guard.contacts(col, ["b-1", "b-2"], purpose="collection")
    with pytest.raises(AccessDenied, match="unmasked"):
        guard.contacts(col, ["b-1"], purpose="collection", full=True)
    with pytest.raises(AccessDenied, match="may not access"):
        guard.contacts(col, ["b-1"], purpose="regulatory_inquiry")
    release(app.store, actor="lead", borrower_id="b-1", collector_id="col-7")
    with pytest.raises(AccessDenied):
        guard.borrower(col, "b-1", purpose="collection")
    assert _entries(app, "access.read") == []
    denied = _entries(app, "access.denied")
    assert [s for _, s, _ in denied] == ["b-2", "b-1", "b-1", "b-1"]


def test_full_values_need_an_allowed_role_and_purpose(app, guard) -> None:  # type: ignore[no-untyped-def]
    comp = Actor("dpo-1", "compliance")
    full = guard.borrower(comp, "b-2", purpose="data_subject_request", full=True)
    assert full.values["phone"] == PEOPLE["b-2"]["phone"] and full.view == "full"
    with pytest.raises(AccessDenied):
        guard.borrower(Actor("sup-1", "supervisor"), "b-2", purpose="quality_assurance",
                       full=True)
    sup = guard.contacts(Actor("sup-1", "supervisor"), ["b-2"], purpose="complaint_handling",
                         full=True)
    assert sup[0].phone == CONTACTS["c-3"][4]
    with pytest.raises(AccessDenied):
        guard.borrower(Actor("aud-1", "auditor"), "b-2", purpose="regulatory_inquiry", full=True)
    me = Actor("portal:b-3", "borrower", borrower_id="b-3")
    assert guard.borrower(me, "b-3", purpose="self_service", full=True).values["full_name"] == \
        "Tom Smith"
    with pytest.raises(AccessDenied, match="another person"):
        guard.borrower(me, "b-2", purpose="self_service")
    reads = _entries(app, "access.read")
    assert [(a, s, p["view"]) for a, s, p in reads] == [
        ("dpo-1", "b-2", "full"), ("sup-1", "b-2", "full"), ("portal:b-3", "b-3", "full")]


def test_address_book_contacts_are_readable_only_for_the_named_purposes(guard) -> None:  # type: ignore[no-untyped-def]
    comp = Actor("dpo-1", "compliance")
    views = guard.contacts(comp, ["b-1"], purpose="data_subject_request", full=True)
    assert {v.contact_id: v.phone for v in views}["c-2"] == CONTACTS["c-2"][4]
    views = guard.contacts(comp, ["b-1"], purpose="complaint_handling", full=True)
    assert {v.contact_id: v.view for v in views}["c-2"] == "withheld"
