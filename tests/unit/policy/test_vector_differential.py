"""The vectorised decide equals the scalar decide, row by row, on random requests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faircollect.policy import DecisionRequest, builtin_packs, decide
from faircollect.policy.batch import batch_from_requests
from faircollect.policy.request import AUDIENCES, CHANNELS, KNOWN_FLAGS, OUTCOMES, PURPOSES
from faircollect.policy.vector import decide_frame

ZONES = ["Asia/Shanghai", "Asia/Urumqi", "America/New_York", "America/Chicago",
         "Europe/London", "America/Los_Angeles", "Australia/Sydney", "Asia/Kolkata",
         "Africa/Lagos", "Asia/Manila", "Africa/Nairobi", "Asia/Jakarta", "Asia/Jayapura"]
JURISDICTIONS = ["CN", "US", "UK", "IN", "NG", "PH", "KE", "ID"]
# Indonesia's holidays (and the days either side) and the last days of the covered year, so
# that weekday, holiday and calendar-coverage rules are drawn often, in every zone.
HOLIDAY_DAYS = [date(2026, 1, 1), date(2026, 3, 19), date(2026, 3, 21), date(2026, 5, 14),
                date(2026, 5, 15), date(2026, 8, 17), date(2026, 12, 25), date(2026, 12, 31),
                date(2027, 1, 1), date(2025, 12, 31)]
BODIES = [None, "", "Hi {name}, please pay {amount}. Reply STOP to opt out.",
          "Hi {name}, please pay.", "Please ask {name} to call {hotline}.",
          "您好，请转告{name}尽快归还所欠的{amount}元。", "Pay up, you lowlife."]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
CIDS = ["c-1", "c-2", "c-3", "g-1"]
RELATIONS = ["sibling", "spouse", "x", "guarantor", "co_maker"]

instants = st.one_of(
    st.integers(0, 365 * 86_400 * 1_000_000).map(lambda us: T0 + timedelta(microseconds=us)),
    # Around a holiday: from the day before to the day after, any second (a zone's local day
    # differs from UTC's for part of it).
    st.tuples(st.sampled_from(HOLIDAY_DAYS), st.integers(-86_400, 2 * 86_400)).map(
        lambda t: datetime.combine(t[0], time(), UTC) + timedelta(seconds=t[1])),
)


def near(at: datetime) -> st.SearchStrategy[datetime]:
    # Mostly within the windows the rules look at, sometimes on either side of `at`.
    return st.integers(-10 * 86_400, 2 * 86_400).map(lambda s: at - timedelta(seconds=s))


@st.composite
def requests(draw: st.DrawFn) -> DecisionRequest:
    at = draw(instants)
    audience = draw(st.sampled_from(AUDIENCES))
    cid = None if audience == "borrower" else draw(st.sampled_from(CIDS))
    body = draw(st.sampled_from(BODIES))
    template = draw(st.one_of(st.none(), st.builds(
        lambda ok: {"id": "t", "approved": ok, "locale": "en", "body": body}, st.booleans())))
    clock = st.integers(0, 23).map(lambda h: f"{h:02d}:{draw(st.sampled_from(['00', '30']))}")
    windows = [w for w in draw(st.lists(st.tuples(clock, clock), max_size=2)) if w[0] != w[1]]
    flags = draw(st.lists(st.sampled_from([*KNOWN_FLAGS, "odd_flag"]), max_size=2))
    data: dict[str, Any] = {
        "jurisdiction": draw(st.sampled_from(JURISDICTIONS)), "at": at.isoformat(),
        "attempt": {"channel": draw(st.sampled_from(CHANNELS)), "audience": audience,
                    "purpose": draw(st.sampled_from(PURPOSES)), "contact_id": cid,
                    "template": template},
        "borrower": {
            "timezone": draw(st.sampled_from(ZONES)),
            "days_past_due": draw(st.sampled_from([-3, 0, 10, 15, 16, 40])),
            "unreachable_since": draw(st.one_of(st.none(), near(at))),
            "flags": flags,
            "opted_out_channels": draw(st.lists(st.sampled_from(CHANNELS), max_size=2)),
            "agreed_windows": [{"start": a, "end": b} for a, b in windows],
        },
        "contacts": [
            {"id": c, "relation": draw(st.sampled_from(RELATIONS)),
             "source": draw(st.sampled_from(["borrower_designated", "address_book",
                                             "public_record"])),
             "refused_contact": draw(st.booleans())}
            for c in draw(st.lists(st.sampled_from(CIDS), unique=True, max_size=3))
        ],
        "consents": [
            {"purpose": draw(st.sampled_from(["contact_designated_contact", "marketing"])),
             "contact_id": draw(st.sampled_from(CIDS)),
             "granted_at": draw(near(at)), "expires_at": draw(st.one_of(st.none(), near(at))),
             "withdrawn_at": draw(st.one_of(st.none(), near(at)))}
            for _ in range(draw(st.integers(0, 2)))
        ],
        "history": [
            {"at": draw(near(at)), "channel": draw(st.sampled_from(["call", "call", "sms"])),
             "audience": draw(st.sampled_from(AUDIENCES)),
             "contact_id": draw(st.sampled_from([None, *CIDS])),
             "outcome": draw(st.sampled_from(OUTCOMES))}
            for _ in range(draw(st.integers(0, 12)))
        ],
        "notices": [
            {"at": draw(near(at)), "kind": draw(st.sampled_from(["escalation_notice", "other"]))}
            for _ in range(draw(st.integers(0, 2)))
        ],
    }
    return DecisionRequest.model_validate(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(requests(), min_size=1, max_size=12))
def test_vectorised_equals_scalar(reqs: list[DecisionRequest]) -> None:
    batch = batch_from_requests(reqs)
    for pack in builtin_packs():
        frame = decide_frame(batch, pack)
        for r, row in zip(reqs, frame.iter_rows(named=True), strict=True):
            d = decide(r, pack)
            assert row["allowed"] is d.allowed
            assert row["rules"] == [v.rule for v in d.violations]
            assert row["categories"] == sorted({v.category.value for v in d.violations})


@settings(max_examples=20, deadline=None)
@given(st.lists(requests(), min_size=2, max_size=6))
def test_history_out_of_row_order_is_sorted_first(reqs: list[DecisionRequest]) -> None:
    batch = batch_from_requests(reqs)
    shuffled = batch.history.sample(fraction=1.0, shuffle=True, seed=3)
    frame = decide_frame(type(batch)(**{**{k: getattr(batch, k) for k in (
        "requests", "flags", "opted_out", "windows", "contacts", "consents", "notices")},
        "history": shuffled}), builtin_packs()[0])
    expected = [decide(r, builtin_packs()[0]).allowed for r in reqs]
    assert frame["allowed"].to_list() == expected


def test_empty_batch() -> None:
    frame = decide_frame(batch_from_requests([]), builtin_packs()[0])
    assert frame.height == 0 and frame.schema["allowed"] == pl.Boolean
