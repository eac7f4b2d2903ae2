"""FREQUENCY: CN daily caps, US 7-in-7 and the 7 days after a conversation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from policy_requests import build, rules, run

AT = datetime.fromisoformat("2026-05-11T15:00:00+00:00")  # 10:00 in Chicago, 23:00 Shanghai


def calls(*ago: timedelta, outcome: str = "no_answer", audience: str = "borrower",
          contact_id: str | None = None) -> list[dict[str, Any]]:
    return [{"at": (AT - a).isoformat(), "channel": "call", "audience": audience,
             "contact_id": contact_id, "outcome": outcome} for a in ago]


def us(history: list[dict[str, Any]]) -> dict[str, Any]:
    return build(jurisdiction="US", at=AT.isoformat(), borrower__timezone="America/Chicago",
                 history=history)


@pytest.mark.parametrize(("earlier", "allowed"), [(6, True), (7, False)])
def test_us_eighth_call_in_seven_days(earlier: int, allowed: bool) -> None:
    d = run(us(calls(*(timedelta(hours=20 * i + 1) for i in range(earlier)))))
    assert d.allowed is allowed
    assert ("US-7IN7" in rules(d)) is not allowed


def test_us_7in7_frees_when_the_oldest_call_leaves_the_window() -> None:
    ago = [timedelta(hours=20 * i + 1) for i in range(7)]  # oldest: 6 May 04:00 Chicago
    d = run(us(calls(*ago)))
    assert d.next_allowed_at is not None
    nxt = datetime.fromisoformat(d.next_allowed_at)
    # Seven local calendar days: 6 May leaves at local midnight on 13 May; 08:00 starts the
    # contact hours.
    assert nxt == datetime.fromisoformat("2026-05-13T08:00:00-05:00")
    # and the same attempt at that instant passes
    later = us(calls(*ago))
    later["at"] = nxt.isoformat()
    assert run(later).allowed


def test_us_call_exactly_seven_days_ago_is_outside_the_window() -> None:
    ago = [timedelta(days=7)] + [timedelta(hours=h) for h in (1, 2, 3, 4, 5, 6)]
    assert run(us(calls(*ago))).allowed


@pytest.mark.parametrize(("days", "allowed"), [(6, False), (8, True)])
def test_us_conversation_six_vs_eight_days_ago(days: int, allowed: bool) -> None:
    d = run(us(calls(timedelta(days=days), outcome="connected")))
    assert d.allowed is allowed
    if not allowed:
        assert rules(d) == {"US-AFTER-CONVERSATION"}
        # The conversation's local day (5 May) is day 1 of 7: calls again from 12 May, 08:00.
        assert datetime.fromisoformat(d.next_allowed_at or "") == datetime.fromisoformat(
            "2026-05-12T08:00:00-05:00")


def test_us_caps_count_calls_not_messages() -> None:
    hist = calls(*(timedelta(hours=i + 1) for i in range(8)))
    for h in hist:
        h["channel"] = "sms"
    assert run(us(hist)).allowed


def cn(history: list[dict[str, Any]], at: str = "2026-05-11T15:00:00+08:00") -> dict[str, Any]:
    return build(at=at, history=history)


def cn_calls(*times: str, outcome: str = "connected") -> list[dict[str, Any]]:
    return [{"at": t, "channel": "call", "audience": "borrower", "contact_id": None,
             "outcome": outcome} for t in times]


def test_cn_fourth_connected_call_today_denied_until_tomorrow() -> None:
    three = cn_calls("2026-05-11T09:00:00+08:00", "2026-05-11T10:00:00+08:00",
                     "2026-05-11T11:00:00+08:00")
    assert run(cn(three[:2])).allowed
    d = run(cn(three))
    assert rules(d) == {"CN-CONNECTED-CAP"}
    assert d.next_allowed_at == "2026-05-12T08:00:00+08:00"


def test_cn_connected_cap_uses_the_local_day() -> None:
    # 23:30 local yesterday is another local day, though within 24 hours.
    hist = cn_calls("2026-05-10T23:30:00+08:00", "2026-05-11T09:00:00+08:00",
                    "2026-05-11T10:00:00+08:00")
    assert run(cn(hist)).allowed


def test_cn_dial_cap_counts_attempts_per_number() -> None:
    six = cn_calls(*(f"2026-05-11T{h:02d}:00:00+08:00" for h in range(8, 14)),
                   outcome="no_answer")
    d = run(cn(six))
    assert rules(d) == {"CN-DIAL-CAP"}
    # calls to a contact person are another number
    for h in six:
        h["audience"], h["contact_id"] = "designated_contact", "c-1"
    assert run(cn(six)).allowed


def test_cn_dial_cap_per_number_ignores_the_audience_label() -> None:
    """One contact is one number: earlier calls to c-1 count whatever audience they carried."""
    from policy_requests import contact_request

    from faircollect.policy import parse_request, resolve_pack
    from faircollect.policy.batch import batch_from_requests
    from faircollect.policy.vector import decide_frame

    six = [{"at": f"2026-05-11T{h:02d}:00:00+08:00", "channel": "call", "audience": aud,
            "contact_id": cid, "outcome": "no_answer"}
           for h, (aud, cid) in zip(range(8, 14), [("third_party", "c-1")] * 3
                                    + [("designated_contact", "c-1")] * 3, strict=True)]
    req = contact_request(jurisdiction="CN", at="2026-05-11T15:00:00+08:00",
                          borrower__timezone="Asia/Shanghai", history=six)
    d = run(req)
    assert rules(d) == {"CN-DIAL-CAP"}
    assert d.next_allowed_at == "2026-05-12T08:00:00+08:00"
    # the borrower's own number is another one, and so is c-2
    for h in six:
        h["audience"], h["contact_id"] = "third_party", "c-2"
    assert run(req).allowed
    borrower = cn([{**h, "audience": "third_party", "contact_id": "c-1"} for h in six])
    assert run(borrower).allowed
    reqs = [parse_request(x) for x in (req, borrower)]
    frame = decide_frame(batch_from_requests(reqs), resolve_pack("CN"))
    assert frame["allowed"].to_list() == [True, True]
