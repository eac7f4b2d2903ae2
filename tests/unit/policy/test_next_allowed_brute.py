"""`next_allowed_at` checked against a brute-force search over the minutes that follow.

For a denied request, the decision point names the earliest instant at which the same
attempt would pass (or None when no time would). This test does not trust the search it
checks: it re-decides the attempt at every minute from the request's instant on, and at the
named instant and the second before it, and asserts that

- the named instant itself is allowed, and the second before it is not;
- no minute between the request's instant and the named one is allowed;
- when None is named, no minute of the next days is allowed either.

Two kinds of random request: the vectorised engine's differential ones (every pack, every
field drawn; most are denied for good), and lawful calls and messages changed only in what
time-based rules look at (the instant, the zone, agreed windows, recent attempts that fill
a cap, holidays), so that most denials name an instant to check.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_requests import build, contact_request
from test_vector_differential import HOLIDAY_DAYS, requests

from faircollect.policy import DecisionRequest, builtin_packs, decide, parse_request
from faircollect.policy.pack import Pack, resolve_pack

# How far the brute force looks: far enough for a night, a weekend and a day's cap.
HORIZON = timedelta(days=3)
STEP = timedelta(minutes=1)
# For "never", a coarser look over a longer span (no rule opens on a sub-15-minute slot).
NEVER_HORIZON = timedelta(days=8)
NEVER_STEP = timedelta(minutes=15)


ZONES = {"CN": ["Asia/Shanghai", "Asia/Urumqi"], "US": ["America/New_York", "America/Denver",
                                                       "America/Los_Angeles"],
         "UK": ["Europe/London"], "IN": ["Asia/Kolkata"], "NG": ["Africa/Lagos"],
         "PH": ["Asia/Manila"], "KE": ["Africa/Nairobi"], "ID": ["Asia/Jakarta", "Asia/Jayapura"]}
# DST changes (US 2026-03-08 and 11-01, UK 03-29 and 10-25) and the holidays, either side.
EDGE_DAYS = [*HOLIDAY_DAYS, *(datetime(2026, m, d).date()
                              for m, d in ((3, 8), (11, 1), (3, 29), (10, 25)))]
_T0 = datetime(2026, 1, 1, tzinfo=UTC)

instants = st.one_of(
    st.integers(0, 364 * 86_400).map(lambda s: _T0 + timedelta(seconds=s)),
    st.tuples(st.sampled_from(EDGE_DAYS), st.integers(-86_400, 2 * 86_400)).map(
        lambda t: datetime.combine(t[0], time(), UTC) + timedelta(seconds=t[1])),
)


@st.composite
def timed_requests(draw: st.DrawFn) -> tuple[DecisionRequest, Pack]:
    """A lawful attempt, changed only in what time-based rules read."""
    jurisdiction = draw(st.sampled_from(sorted(ZONES)))
    at = draw(instants)
    to_contact = draw(st.integers(0, 4)) == 0
    channel = draw(st.sampled_from(["call", "call", "sms", "email"]))
    clock = st.integers(0, 23).map(lambda h: f"{h:02d}:00")
    windows = [{"start": a, "end": b}
               for a, b in draw(st.lists(st.tuples(clock, clock), max_size=1)) if a != b]
    history = [{"at": (at - timedelta(seconds=draw(st.integers(0, 8 * 86_400)))).isoformat(),
                "channel": draw(st.sampled_from([channel, "call", "sms"])),
                "audience": "designated_contact" if to_contact else "borrower",
                "contact_id": "c-1" if to_contact else None,
                "outcome": draw(st.sampled_from(["connected", "no_answer", "delivered"]))}
               for _ in range(draw(st.integers(0, 10)))]
    changes = {"jurisdiction": jurisdiction, "at": at.isoformat(), "attempt__channel": channel,
               "borrower__timezone": draw(st.sampled_from(ZONES[jurisdiction])),
               "borrower__agreed_windows": windows, "history": history,
               "borrower__days_past_due": draw(st.sampled_from([1, 10, 20, 40]))}
    data = contact_request(**changes) if to_contact else build(**changes)
    req = parse_request(data)
    return req, resolve_pack(req.jurisdiction)


def _allowed(req: DecisionRequest, pack: Pack, at: datetime) -> bool:
    return decide(req.model_copy(update={"at": at}), pack).allowed


def _first_allowed(req: DecisionRequest, pack: Pack, until: datetime,
                   step: timedelta) -> datetime | None:
    at = req.at
    while at < until:
        if _allowed(req, pack, at):
            return at
        at += step
    return None


def _check(req: DecisionRequest, pack: Pack) -> None:
    decision = decide(req, pack)
    if decision.allowed:
        return
    if decision.next_allowed_at is None:
        found = _first_allowed(req, pack, req.at + NEVER_HORIZON, NEVER_STEP)
        assert found is None, f"said never, but {found.isoformat()} is allowed"
        return
    named = datetime.fromisoformat(decision.next_allowed_at)
    assert named > req.at
    assert _allowed(req, pack, named), "the named instant is itself denied"
    assert not _allowed(req, pack, named - timedelta(seconds=1)), "a second earlier passes"
    if named - req.at <= HORIZON:
        found = _first_allowed(req, pack, named, STEP)
        assert found is None, (
            f"{found.isoformat()} is allowed, before the named {named.isoformat()}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(), st.sampled_from(builtin_packs()))
def test_next_allowed_matches_brute_force_on_any_request(req: DecisionRequest,
                                                         pack: Pack) -> None:
    _check(req, pack)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timed_requests())
def test_next_allowed_matches_brute_force_on_time_rules(case: tuple[DecisionRequest, Pack]
                                                        ) -> None:
    _check(*case)
