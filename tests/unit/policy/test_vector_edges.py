"""The vectorised decide at exact instants and at each cap's limit, beside the scalar decide.

The random differential test almost never draws equal instants or reaches a cap, so a
vectorised rule that allows one call over a limit, or treats a consent expiring at the very
attempt as valid, survived it. Each case here pins the expected outcome *and* holds the
vectorised row equal to the scalar decision, so either side drifting fails.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from policy_requests import build, contact_request

from faircollect.policy import Decision, decide, parse_request, resolve_pack
from faircollect.policy.batch import batch_from_requests
from faircollect.policy.vector import decide_frame


def both(req: dict[str, Any]) -> Decision:
    """The scalar decision, after checking the vectorised row says the same."""
    r = parse_request(req)
    pack = resolve_pack(r.jurisdiction)
    d = decide(r, pack)
    row = decide_frame(batch_from_requests([r]), pack).row(0, named=True)
    assert row["allowed"] is d.allowed, (row, d.violations)
    assert row["rules"] == [v.rule for v in d.violations]
    return d


def failing(req: dict[str, Any]) -> set[str]:
    return {v.rule for v in both(req).violations}


US_AT = datetime.fromisoformat("2026-05-11T15:00:00+00:00")  # 10:00 in Chicago


def us_calls(n: int, outcome: str = "no_answer") -> dict[str, Any]:
    hist = [{"at": (US_AT - timedelta(hours=20 * i + 1)).isoformat(), "channel": "call",
             "audience": "borrower", "contact_id": None, "outcome": outcome} for i in range(n)]
    return build(jurisdiction="US", at=US_AT.isoformat(), borrower__timezone="America/Chicago",
                 history=hist)


@pytest.mark.parametrize(("earlier", "denied"), [(6, False), (7, True), (8, True)])
def test_us_7in7_at_the_limit(earlier: int, denied: bool) -> None:
    assert ("US-7IN7" in failing(us_calls(earlier))) is denied


def cn_connected(n: int) -> dict[str, Any]:
    hist = [{"at": f"2026-05-11T{9 + i:02d}:00:00+08:00", "channel": "call",
             "audience": "borrower", "contact_id": None, "outcome": "connected"}
            for i in range(n)]
    return build(at="2026-05-11T15:00:00+08:00", history=hist)


@pytest.mark.parametrize(("earlier", "denied"), [(2, False), (3, True)])
def test_cn_connected_cap_at_the_limit(earlier: int, denied: bool) -> None:
    assert ("CN-CONNECTED-CAP" in failing(cn_connected(earlier))) is denied


def cn_dials(n: int) -> dict[str, Any]:
    hist = [{"at": f"2026-05-11T{8 + i:02d}:00:00+08:00", "channel": "call",
             "audience": "borrower", "contact_id": None, "outcome": "no_answer"}
            for i in range(n)]
    return build(at="2026-05-11T15:00:00+08:00", history=hist)


@pytest.mark.parametrize(("earlier", "denied"), [(5, False), (6, True)])
def test_cn_dial_cap_at_the_limit(earlier: int, denied: bool) -> None:
    assert ("CN-DIAL-CAP" in failing(cn_dials(earlier))) is denied


# A lawful locate call to designated contact c-1; the attempt is at 2026-05-11T06:00Z.
AT = datetime.fromisoformat("2026-05-11T06:00:00+00:00")
US1 = timedelta(microseconds=1)


def test_the_base_contact_request_is_allowed() -> None:
    assert both(contact_request()).allowed


def consent(**times: datetime | None) -> list[dict[str, Any]]:
    c: dict[str, Any] = {"purpose": "contact_designated_contact", "contact_id": "c-1",
                         "granted_at": "2026-01-01T00:00:00+00:00", "expires_at": None,
                         "withdrawn_at": None}
    c.update({k: v.isoformat() if v else None for k, v in times.items()})
    return [c]


@pytest.mark.parametrize(("times", "valid"), [
    ({"granted_at": AT}, True),                 # granted at the attempt: valid from then
    ({"granted_at": AT + US1}, False),          # granted a microsecond later
    ({"expires_at": AT}, False),                # expiring at the attempt: no longer valid
    ({"expires_at": AT + US1}, True),
    ({"withdrawn_at": AT}, False),              # withdrawn at the attempt
    ({"withdrawn_at": AT + US1}, True),
])
def test_consent_edges(times: dict[str, datetime], valid: bool) -> None:
    rules = failing(contact_request(consents=consent(**times)))
    assert ("HOUSE-CONSENT" not in rules) is valid


@pytest.mark.parametrize(("since", "enough"), [
    (AT - timedelta(days=3), True),             # unreachable for exactly the minimum
    (AT - timedelta(days=3) + US1, False),
])
def test_unreachable_for_exactly_the_minimum_days(since: datetime, enough: bool) -> None:
    rules = failing(contact_request(borrower__unreachable_since=since.isoformat()))
    assert ("HOUSE-BORROWER-FIRST" not in rules) is enough


@pytest.mark.parametrize(("sent", "enough"), [
    (AT - timedelta(days=3), True),             # notice exactly the minimum days before
    (AT - timedelta(days=3) + US1, False),
])
def test_notice_exactly_the_minimum_days_before(sent: datetime, enough: bool) -> None:
    notices = [{"at": sent.isoformat(), "kind": "escalation_notice"}]
    rules = failing(contact_request(notices=notices))
    assert ("HOUSE-PRIOR-NOTICE" not in rules) is enough


def late_call(at: str, start: str, end: str) -> dict[str, Any]:
    """A borrower call in CN quiet hours (after 22:00 Shanghai) with one agreed window."""
    return build(at=at, borrower__agreed_windows=[{"start": start, "end": end}])


@pytest.mark.parametrize(("local", "start", "end", "inside"), [
    ("22:30:00", "22:30", "23:00", True),       # the window's first second
    ("22:59:59", "22:30", "23:00", True),       # its last second
    ("23:00:00", "22:30", "23:00", False),      # the end is excluded
    ("22:29:59", "22:30", "23:00", False),
    ("23:00:00", "23:00", "01:00", True),       # a window wrapping past midnight: its start
    ("22:59:59", "23:00", "01:00", False),
    ("00:59:59", "23:00", "01:00", True),
    ("01:00:00", "23:00", "01:00", False),      # and its end
])
def test_agreed_window_edges(local: str, start: str, end: str, inside: bool) -> None:
    day = "2026-05-12" if local < "12" else "2026-05-11"
    rules = failing(late_call(f"{day}T{local}+08:00", start, end))
    assert ("CN-QUIET-HOURS" not in rules) is inside
