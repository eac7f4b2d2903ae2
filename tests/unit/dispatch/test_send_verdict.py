"""The send-time verdict: validity ends with the planned local day; each edge pinned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faircollect.dispatch.send_verdict import local_day_end, verdict
from faircollect.policy.decision import Category, Decision, Violation

ALLOWED = Decision(allowed=True, violations=(), next_allowed_at=None, pack="us-2026.1")


def _denied(next_at: str | None, *rules: str) -> Decision:
    return Decision(
        allowed=False,
        violations=tuple(Violation(rule=r, category=Category.HOURS, citation="c", message="m")
                         for r in rules),
        next_allowed_at=next_at, pack="us-2026.1")


def test_the_local_day_ends_at_local_midnight_across_zones_and_dst() -> None:
    # 23:30 UTC on 1 Nov 2026 is 18:30 in New York (EST since that morning): day ends 05:00 UTC.
    at = datetime(2026, 11, 1, 23, 30, tzinfo=UTC)
    assert local_day_end(at, "America/New_York") == datetime(2026, 11, 2, 5, tzinfo=UTC)
    # The same instant is 07:30 on 2 Nov in Shanghai: that day ends 16:00 UTC on 2 Nov.
    assert local_day_end(at, "Asia/Shanghai") == datetime(2026, 11, 2, 16, tzinfo=UTC)
    # The DST day in New York is 25 hours long: 04:00 UTC on 1 Nov to 05:00 UTC on 2 Nov.
    start = datetime(2026, 11, 1, 4, tzinfo=UTC)
    assert local_day_end(start, "America/New_York") - start == timedelta(hours=25)
    # London, last second of a local day belongs to it.
    last = datetime(2026, 11, 1, 23, 59, 59, tzinfo=UTC)
    assert local_day_end(last, "Europe/London") == datetime(2026, 11, 2, tzinfo=UTC)


def test_allowed_and_valid_is_sent_and_the_validity_end_is_exclusive() -> None:
    end = datetime(2026, 11, 2, 5, tzinfo=UTC)
    assert verdict(ALLOWED, at=end - timedelta(seconds=1), expires_at=end).action == "send"
    late = verdict(ALLOWED, at=end, expires_at=end)
    assert late.action == "expire" and "validity ended" in late.reason


def test_a_timing_denial_defers_inside_validity_and_expires_past_it() -> None:
    end = datetime(2026, 11, 2, 5, tzinfo=UTC)
    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    inside = (end - timedelta(seconds=1)).astimezone().isoformat()
    d = verdict(_denied(inside, "US-HOURS"), at=at, expires_at=end)
    assert d.action == "defer" and d.until == end - timedelta(seconds=1)
    assert d.rules == ("US-HOURS",) and "US-HOURS" in d.reason
    e = verdict(_denied(end.isoformat(), "US-HOURS"), at=at, expires_at=end)
    assert e.action == "expire" and e.until is None and "US-HOURS" in e.reason


def test_a_denial_no_time_clears_is_denied_with_every_rule() -> None:
    end = datetime(2026, 11, 2, 5, tzinfo=UTC)
    v = verdict(_denied(None, "US-CEASE", "HOUSE-HOLDS"), at=end - timedelta(hours=1),
                expires_at=end)
    assert v.action == "deny" and v.rules == ("US-CEASE", "HOUSE-HOLDS")
    assert v.reason == "denied at send: US-CEASE;HOUSE-HOLDS"


def test_an_account_change_cancels_before_anything_else() -> None:
    end = datetime(2026, 11, 2, 5, tzinfo=UTC)
    for decision in (ALLOWED, _denied(None, "X")):
        v = verdict(decision, at=end + timedelta(days=3), expires_at=end,
                    stopped_by="a dispute is open")
        assert v.action == "cancel" and v.reason == "since planning: a dispute is open"
