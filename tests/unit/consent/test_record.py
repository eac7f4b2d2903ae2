"""Consent validity from ledger records at its boundaries, and the decision-request shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faircollect.consent.record import ConsentRecord, decision_entries, spans, state, valid

T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)
DAY = timedelta(days=1)
P = "contact_designated_contact"


def rec(rid: int, kind: str, granted: datetime, expires: datetime | None = None,
        withdrawn: datetime | None = None, cid: str = "cs-1", contact: str | None = "c-1"
        ) -> ConsentRecord:
    return ConsentRecord(rid, cid, "b-1", P, contact, kind, granted, expires, withdrawn)


def test_valid_from_grant_instant_until_expiry_instant() -> None:
    recs = [rec(1, "grant", T0, T0 + 10 * DAY)]
    assert not valid(recs, P, "c-1", T0 - timedelta(microseconds=1))
    assert valid(recs, P, "c-1", T0)
    assert valid(recs, P, "c-1", T0 + 10 * DAY - timedelta(microseconds=1))
    assert not valid(recs, P, "c-1", T0 + 10 * DAY)


def test_withdrawal_ends_validity_at_its_instant_for_all_later_times() -> None:
    recs = [rec(1, "grant", T0, T0 + 10 * DAY), rec(2, "withdraw", T0, T0 + 10 * DAY, T0 + 3 * DAY)]
    assert valid(recs, P, "c-1", T0 + 3 * DAY - timedelta(microseconds=1))
    assert not valid(recs, P, "c-1", T0 + 3 * DAY)
    assert not valid(recs, P, "c-1", T0 + 5 * DAY)
    # the past before the withdrawal is still answered truthfully
    assert valid(recs, P, "c-1", T0 + DAY)


def test_renewal_before_expiry_is_seamless_and_after_lapse_leaves_a_gap() -> None:
    seamless = [rec(1, "grant", T0, T0 + 10 * DAY), rec(2, "renew", T0 + 9 * DAY, T0 + 20 * DAY)]
    assert all(valid(seamless, P, "c-1", T0 + d * DAY) for d in range(20))
    assert not valid(seamless, P, "c-1", T0 + 20 * DAY)
    gap = [rec(1, "grant", T0, T0 + 10 * DAY), rec(2, "renew", T0 + 12 * DAY, T0 + 20 * DAY)]
    assert not valid(gap, P, "c-1", T0 + 11 * DAY)
    assert valid(gap, P, "c-1", T0 + 12 * DAY)


def test_review_cut_ends_earlier_spans_only() -> None:
    recs = [rec(1, "grant", T0), rec(2, "expire", T0, T0 + 5 * DAY),
            rec(3, "renew", T0 + 8 * DAY, T0 + 30 * DAY)]
    assert valid(recs, P, "c-1", T0 + 4 * DAY)
    assert not valid(recs, P, "c-1", T0 + 5 * DAY)
    assert valid(recs, P, "c-1", T0 + 9 * DAY)


def test_purpose_and_contact_must_match() -> None:
    recs = [rec(1, "grant", T0, T0 + 10 * DAY)]
    assert not valid(recs, P, "c-2", T0 + DAY)
    assert not valid(recs, "marketing", "c-1", T0 + DAY)
    assert not valid(recs, P, None, T0 + DAY)


def test_decision_entries_agree_with_valid_under_the_policy_reading() -> None:
    recs = [rec(1, "grant", T0, T0 + 10 * DAY), rec(2, "renew", T0 + 12 * DAY, T0 + 20 * DAY),
            rec(3, "withdraw", T0, T0 + 20 * DAY, T0 + 15 * DAY)]
    entries = decision_entries(recs)
    assert [set(e) for e in entries] == [
        {"purpose", "contact_id", "granted_at", "expires_at", "withdrawn_at"}] * 2
    for hours in range(0, 24 * 22, 7):
        at = T0 + timedelta(hours=hours)
        by_entries = any(
            e["granted_at"] <= at
            and (e["expires_at"] is None or at < e["expires_at"])
            and (e["withdrawn_at"] is None or at < e["withdrawn_at"])
            for e in entries
        )
        assert by_entries == valid(recs, P, "c-1", at)


def test_state_reports_status() -> None:
    recs = [rec(1, "grant", T0, T0 + 10 * DAY)]
    assert state(recs, T0 - DAY).status == "pending"
    assert state(recs, T0).status == "active"
    assert state(recs, T0 + 10 * DAY).status == "expired"
    w = [*recs, rec(2, "withdraw", T0, T0 + 10 * DAY, T0 + DAY)]
    assert state(w, T0 + 2 * DAY).status == "withdrawn"
    assert state(w, T0 + 2 * DAY).withdrawn_at == T0 + DAY


def test_empty_span_is_dropped() -> None:
    recs = [rec(1, "grant", T0, T0 + DAY), rec(2, "withdraw", T0, T0 + DAY, T0)]
    assert spans(recs) == []
