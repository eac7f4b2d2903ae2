"""HOURS: 21:59 vs 22:00 local, DST in New York and London, Asia/Urumqi, agreed windows."""

from __future__ import annotations

from datetime import datetime

import pytest
from policy_requests import build, cats, rules, run


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        ("2026-05-11T21:59:00+08:00", True),
        ("2026-05-11T22:00:00+08:00", False),
        ("2026-05-11T07:59:59+08:00", False),
        ("2026-05-11T08:00:00+08:00", True),
    ],
)
def test_cn_quiet_hours_edges(at: str, allowed: bool) -> None:
    d = run(build(at=at))
    assert d.allowed is allowed
    if not allowed:
        assert rules(d) == {"CN-QUIET-HOURS"} and cats(d) == {"HOURS"}


def test_cn_next_allowed_is_eight_next_morning() -> None:
    d = run(build(at="2026-05-11T22:00:00+08:00"))
    assert d.next_allowed_at == "2026-05-12T08:00:00+08:00"
    d = run(build(at="2026-05-12T03:00:00+08:00"))
    assert d.next_allowed_at == "2026-05-12T08:00:00+08:00"


@pytest.mark.parametrize(
    ("jurisdiction", "zone", "at", "allowed"),
    [
        ("US", "America/New_York", "2026-05-11T20:59:00-04:00", True),
        ("US", "America/New_York", "2026-05-11T21:00:00-04:00", False),
        ("UK", "Europe/London", "2026-05-11T20:59:00+01:00", True),
        ("UK", "Europe/London", "2026-05-11T21:00:00+01:00", False),
    ],
)
def test_us_uk_evening_edges(jurisdiction: str, zone: str, at: str, allowed: bool) -> None:
    d = run(build(jurisdiction=jurisdiction, at=at, borrower__timezone=zone))
    assert d.allowed is allowed
    assert ("HOURS" in cats(d)) is not allowed


def test_new_york_spring_forward_uses_the_new_offset() -> None:
    # 2026-03-08: clocks jump 02:00 EST -> 03:00 EDT. 12:30Z is 08:30 EDT (allowed) but
    # would be 07:30 under the old offset (denied): the IANA zone must win.
    d = run(build(jurisdiction="US", at="2026-03-08T12:30:00Z",
                  borrower__timezone="America/New_York"))
    assert d.allowed
    d = run(build(jurisdiction="US", at="2026-03-08T11:30:00Z",
                  borrower__timezone="America/New_York"))
    assert not d.allowed and d.next_allowed_at == "2026-03-08T08:00:00-04:00"


def test_london_autumn_back_next_allowed_in_gmt() -> None:
    # 2026-10-25: BST ends at 02:00 local. 06:30Z is 06:30 GMT: denied until 08:00 GMT.
    d = run(build(jurisdiction="UK", at="2026-10-25T06:30:00Z",
                  borrower__timezone="Europe/London"))
    assert not d.allowed
    assert d.next_allowed_at == "2026-10-25T08:00:00+00:00"
    # The day before, 07:30Z is 08:30 BST: allowed.
    assert run(build(jurisdiction="UK", at="2026-10-24T07:30:00Z",
                     borrower__timezone="Europe/London")).allowed


def test_urumqi_local_time_not_beijing_time() -> None:
    # Asia/Urumqi is UTC+6. 00:30Z is 06:30 in Urumqi (denied) but 08:30 in Shanghai.
    assert run(build(at="2026-05-11T00:30:00Z", borrower__timezone="Asia/Shanghai")).allowed
    d = run(build(at="2026-05-11T00:30:00Z", borrower__timezone="Asia/Urumqi"))
    assert not d.allowed
    assert d.next_allowed_at is not None
    assert datetime.fromisoformat(d.next_allowed_at) == datetime.fromisoformat(
        "2026-05-11T08:00:00+06:00")


def test_agreed_window_allows_quiet_hours_for_the_borrower_only() -> None:
    windows = [{"start": "07:00", "end": "08:00"}]
    assert run(build(at="2026-05-11T07:30:00+08:00", borrower__agreed_windows=windows)).allowed
    assert not run(build(at="2026-05-11T06:59:00+08:00",
                         borrower__agreed_windows=windows)).allowed
    # next allowed: the agreed window opens before the contact hours do
    d = run(build(at="2026-05-11T06:00:00+08:00", borrower__agreed_windows=windows))
    assert d.next_allowed_at == "2026-05-11T07:00:00+08:00"


def test_agreed_window_wrapping_midnight() -> None:
    windows = [{"start": "23:00", "end": "01:00"}]
    assert run(build(at="2026-05-11T23:30:00+08:00", borrower__agreed_windows=windows)).allowed
    assert run(build(at="2026-05-12T00:30:00+08:00", borrower__agreed_windows=windows)).allowed
    assert not run(build(at="2026-05-12T01:00:00+08:00",
                         borrower__agreed_windows=windows)).allowed


def test_letters_have_no_hours() -> None:
    d = run(build(at="2026-05-11T23:00:00+08:00", attempt__channel="letter"))
    assert "HOURS" not in cats(d)
