"""Every time-edged rule of every pack, at the first and last second of what it allows.

The rule texts say where each edge lies: contact hours are a half-open local window
[start, end); a rolling cap counts the attempts of the last N hours (one exactly N hours
old has left it), a local-day cap those since local midnight (one at midnight counts), a
calendar-days cap those since midnight N-1 days ago; a consent is valid from the instant it
is granted until the instant it expires or is withdrawn; a notice or an unreachable spell
of N days is enough at exactly N days. Each case below is built from the rule's own
parameters, for every pack that has such a rule, and decided by the scalar and the
vectorised engine; only whether the rule under test is cited is asserted, so other rules
of the pack may deny as they like.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from policy_requests import build, contact_request

from faircollect.policy import builtin_packs, decide, parse_request
from faircollect.policy import params as p
from faircollect.policy.batch import batch_from_requests
from faircollect.policy.pack import Pack, Rule
from faircollect.policy.vector import decide_frame

SECOND = timedelta(seconds=1)
ZONE = {"CN": "Asia/Shanghai", "US": "America/New_York", "UK": "Europe/London",
        "IN": "Asia/Kolkata", "NG": "Africa/Lagos", "PH": "Asia/Manila", "KE": "Africa/Nairobi",
        "ID": "Asia/Jakarta"}
# A plain Wednesday, and the days clocks change (US 8 March and 1 November, UK 29 March
# and 25 October 2026) for the packs whose zone changes them.
PLAIN_DAY = date(2026, 7, 8)
DST_DAYS = {"US": [date(2026, 3, 8), date(2026, 11, 1)],
            "UK": [date(2026, 3, 29), date(2026, 10, 25)]}


def _clock(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


def _local(day: date, seconds: int, zone: str) -> datetime:
    """The instant the local clock of `zone` shows `seconds` past midnight of `day`
    (24:00 is the next day's midnight)."""
    day, seconds = day + timedelta(days=seconds // 86_400), seconds % 86_400
    return datetime(day.year, day.month, day.day, seconds // 3600, seconds // 60 % 60,
                    seconds % 60, tzinfo=ZoneInfo(zone))


def _rules(kind: type[Any]) -> Iterator[tuple[Pack, Rule]]:
    for pack in builtin_packs():
        for rule in pack.rules:
            if isinstance(rule.params, kind):
                yield pack, rule


def _ids(cases: list[tuple[Pack, Rule]]) -> list[str]:
    return [f"{pack.id}:{rule.id}" for pack, rule in cases]


def _attempt(pack: Pack, rule: Rule) -> dict[str, Any] | None:
    """A request the rule applies to (None when no simple one exists, e.g. guarantors)."""
    a = rule.applies_to
    audiences = a.audiences or ("borrower",)
    if "borrower" in audiences and a.relations is None:
        data = build(jurisdiction=pack.jurisdiction)
    elif "designated_contact" in audiences or "third_party" in audiences:
        audience = "designated_contact" if "designated_contact" in audiences else "third_party"
        data = contact_request(jurisdiction=pack.jurisdiction, attempt__audience=audience)
        relation = (a.relations or ("sibling",))[0]
        if a.except_relations and relation in a.except_relations:
            relation = "friend"
        data["contacts"][0]["relation"] = relation
    else:
        return None
    if a.channels is not None:
        data["attempt"]["channel"] = a.channels[0]
    if a.purposes is not None:
        data["attempt"]["purpose"] = a.purposes[0]
    data["borrower"]["timezone"] = ZONE[pack.jurisdiction]
    data["borrower"]["days_past_due"] = 1
    return data


def _cited(pack: Pack, rule: Rule, data: dict[str, Any], at: datetime) -> bool:
    """Whether `rule` is cited for `data` at `at`; both engines must agree."""
    req = parse_request({**data, "at": at.isoformat()})
    scalar = rule.id in {v.rule for v in decide(req, pack).violations}
    vector = rule.id in decide_frame(batch_from_requests([req]), pack)["rules"][0]
    assert scalar == vector, f"{rule.id} at {at.isoformat()}: scalar {scalar}, vector {vector}"
    return scalar


HOURS = list(_rules(p.ContactHours))


@pytest.mark.parametrize(("pack", "rule"), HOURS, ids=_ids(HOURS))
def test_contact_hours_edges(pack: Pack, rule: Rule) -> None:
    data = _attempt(pack, rule)
    if data is None:
        pytest.skip(f"{rule.id} applies to no borrower or contact-person attempt")
    prm: p.ContactHours = rule.params  # type: ignore[assignment]
    zone = data["borrower"]["timezone"]
    start, end = _clock(prm.start), _clock(prm.end)
    for day in [PLAIN_DAY, *DST_DAYS.get(pack.jurisdiction, [])]:
        first, after = _local(day, start, zone), _local(day, end, zone)
        assert _cited(pack, rule, data, first - SECOND), f"{day} a second before {prm.start}"
        assert not _cited(pack, rule, data, first), f"{day} at {prm.start}"
        assert not _cited(pack, rule, data, after - SECOND), f"{day} a second before {prm.end}"
        assert _cited(pack, rule, data, after), f"{day} at {prm.end}"


CAPS = list(_rules(p.CountedCap))


def _entry(prm: p.CountedCap, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    a, f = data["attempt"], prm.count
    audience = (f.audiences or (a["audience"],))[0]
    if prm.scope == "target":
        audience = a["audience"]
    return {"at": at.isoformat(), "channel": (f.channels or (a["channel"],))[0],
            "audience": audience,
            "contact_id": None if audience == "borrower" else a["contact_id"],
            "outcome": (f.outcomes or ("no_answer",))[0]}


@pytest.mark.parametrize(("pack", "rule"), CAPS, ids=_ids(CAPS))
def test_cap_window_edges(pack: Pack, rule: Rule) -> None:
    data = _attempt(pack, rule)
    if data is None:
        pytest.skip(f"{rule.id} applies to no borrower or contact-person attempt")
    prm: p.CountedCap = rule.params  # type: ignore[assignment]
    zone = data["borrower"]["timezone"]
    at = _local(PLAIN_DAY, 12 * 3600, zone)
    if prm.window == "rolling":
        edge = at - timedelta(hours=prm.window_hours or 0)  # exactly N hours old: left it
        outside, inside = edge, edge + SECOND
    else:
        days = 1 if prm.window == "local_day" else (prm.days or 1)
        midnight = _local(PLAIN_DAY - timedelta(days=days - 1), 0, zone)
        outside, inside = midnight - SECOND, midnight
    recent = [_entry(prm, data, at - timedelta(minutes=1 + i)) for i in range(prm.limit - 1)]
    assert not _cited(pack, rule, {**data, "history": recent}, at), "under the limit"
    assert not _cited(pack, rule, {**data, "history": [*recent, _entry(prm, data, outside)]},
                      at), f"an attempt at {outside.isoformat()} is outside the window"
    assert _cited(pack, rule, {**data, "history": [*recent, _entry(prm, data, inside)]}, at), \
        f"an attempt at {inside.isoformat()} is inside the window"


CONSENTS = list(_rules(p.ConsentRequired))


@pytest.mark.parametrize(("pack", "rule"), CONSENTS, ids=_ids(CONSENTS))
def test_consent_validity_edges(pack: Pack, rule: Rule) -> None:
    prm: p.ConsentRequired = rule.params  # type: ignore[assignment]
    data = contact_request(jurisdiction=pack.jurisdiction)
    data["borrower"]["timezone"] = ZONE[pack.jurisdiction]
    at = _local(PLAIN_DAY, 12 * 3600, ZONE[pack.jurisdiction])

    def consent(granted: datetime, expires: datetime | None = None,
                withdrawn: datetime | None = None) -> dict[str, Any]:
        return {**data, "consents": [{
            "purpose": prm.purpose, "contact_id": "c-1", "granted_at": granted.isoformat(),
            "expires_at": expires and expires.isoformat(),
            "withdrawn_at": withdrawn and withdrawn.isoformat()}]}

    day = timedelta(days=1)
    assert not _cited(pack, rule, consent(at), at), "valid from the instant it is granted"
    assert _cited(pack, rule, consent(at + SECOND), at), "not valid before it is granted"
    assert _cited(pack, rule, consent(at - day, expires=at), at), "expired at that instant"
    assert not _cited(pack, rule, consent(at - day, expires=at + SECOND), at)
    assert _cited(pack, rule, consent(at - day, withdrawn=at), at), "withdrawn at that instant"
    assert not _cited(pack, rule, consent(at - day, withdrawn=at + SECOND), at)


NOTICES = list(_rules(p.PriorNotice))


@pytest.mark.parametrize(("pack", "rule"), NOTICES, ids=_ids(NOTICES))
def test_prior_notice_edges(pack: Pack, rule: Rule) -> None:
    data = _attempt(pack, rule)
    if data is None:
        pytest.skip(f"{rule.id} applies to no borrower or contact-person attempt")
    prm: p.PriorNotice = rule.params  # type: ignore[assignment]
    at = _local(PLAIN_DAY, 12 * 3600, data["borrower"]["timezone"])
    enough = at - timedelta(days=prm.min_days)
    for sent, cited in ((enough, False), (enough + SECOND, True)):
        notices = [{"at": sent.isoformat(), "kind": prm.kinds[0]}]
        assert _cited(pack, rule, {**data, "notices": notices}, at) is cited, sent.isoformat()


UNREACHABLE = list(_rules(p.BorrowerUnreachable))


@pytest.mark.parametrize(("pack", "rule"), UNREACHABLE, ids=_ids(UNREACHABLE))
def test_unreachable_spell_edges(pack: Pack, rule: Rule) -> None:
    data = _attempt(pack, rule)
    if data is None:
        pytest.skip(f"{rule.id} applies to no borrower or contact-person attempt")
    prm: p.BorrowerUnreachable = rule.params  # type: ignore[assignment]
    at = _local(PLAIN_DAY, 12 * 3600, data["borrower"]["timezone"])
    enough = at - timedelta(days=prm.min_days)
    for since, cited in ((enough, False), (enough + SECOND, True)):
        data["borrower"]["unreachable_since"] = since.isoformat()
        assert _cited(pack, rule, data, at) is cited, since.isoformat()


def test_every_edged_kind_is_covered() -> None:
    """Each pack's hours, caps, consents, notices and unreachable rules are checked above."""
    assert HOURS and CAPS and CONSENTS and NOTICES and UNREACHABLE
    assert {pk.jurisdiction for pk, _ in HOURS} >= set(ZONE)
