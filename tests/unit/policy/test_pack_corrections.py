"""The 2026.2 corrections to the US and UK packs, read against the rule texts
(REGULATIONS.md, "Corrections ... 2026-12"), each checked with its cited clauses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from policy_requests import build, contact_request, rules

from faircollect.policy import decide, parse_request, resolve_pack
from faircollect.policy.decision import Decision


def run(req: dict[str, Any], pack: str | None = None) -> Decision:
    r = parse_request(req)
    return decide(r, resolve_pack(pack or r.jurisdiction))


def cited(d: Decision) -> dict[str, str]:
    return {v.rule: v.citation for v in d.violations}


def calls(at: datetime, *local: str, zone_offset: str, outcome: str = "no_answer"
          ) -> list[dict[str, Any]]:
    return [{"at": f"{t}{zone_offset}", "channel": "call", "audience": "borrower",
             "contact_id": None, "outcome": outcome} for t in local]


def test_the_packs_in_force_are_the_corrected_versions() -> None:
    assert resolve_pack("US").id == "us-2026.2"
    assert resolve_pack("UK").id == "uk-2026.2"
    assert resolve_pack("us-2026.1").id == "us-2026.1"  # kept for replay


def test_app_push_needs_the_opt_out_notice_like_sms_and_email() -> None:
    body = {"id": "t-p", "approved": True, "locale": "en", "body": "Hi {name}, please pay today."}
    req = build(jurisdiction="US", at="2026-05-11T15:00:00+00:00",
                borrower__timezone="America/Chicago", attempt__channel="app_push",
                attempt__template=body)
    d = run(req)
    assert not d.allowed and cited(d)["US-OPT-OUT"] == "12 CFR 1006.6(e)"
    assert run(req, "us-2026.1").allowed  # the old reading covered only sms and e-mail
    with_notice = dict(body, body="Hi {name}, please pay today. Reply STOP to opt out.")
    assert run(build(jurisdiction="US", at="2026-05-11T15:00:00+00:00",
                     borrower__timezone="America/Chicago", attempt__channel="app_push",
                     attempt__template=with_notice)).allowed


# New York, 2026: clocks went forward on 8 March and back on 1 November. In those weeks a
# rolling 168 hours and seven local calendar days disagree both ways.
@pytest.mark.parametrize(("at", "history", "calendar_allowed", "rolling_allowed"), [
    # Spring: first call 2 March 00:30 EST, attempt 9 March 00:15 EDT: 166 h 45 min later,
    # inside 168 h, but 2 March is the eighth local day back: allowed by calendar days.
    ("2026-03-09T00:15:00-04:00",
     ["2026-03-02T00:30:00-05:00", "2026-03-03T10:00:00-05:00", "2026-03-04T10:00:00-05:00",
      "2026-03-05T10:00:00-05:00", "2026-03-06T10:00:00-05:00", "2026-03-07T10:00:00-05:00",
      "2026-03-08T10:00:00-04:00"], True, False),
    # Fall: first call 26 October 00:30 EDT, attempt 1 November 23:45 EST: 168 h 15 min
    # later (1 November has 25 hours), outside 168 h, but 26 October is still one of the
    # seven local days 26 October - 1 November: denied by calendar days.
    ("2026-11-01T23:45:00-05:00",
     ["2026-10-26T00:30:00-04:00", "2026-10-27T10:00:00-04:00", "2026-10-28T10:00:00-04:00",
      "2026-10-29T10:00:00-04:00", "2026-10-30T10:00:00-04:00", "2026-10-31T10:00:00-04:00",
      "2026-11-01T10:00:00-05:00"], False, True),
])
def test_seven_in_seven_counts_local_calendar_days_in_the_dst_weeks(
        at: str, history: list[str], calendar_allowed: bool, rolling_allowed: bool) -> None:
    hist = [{"at": t, "channel": "call", "audience": "borrower", "contact_id": None,
             "outcome": "no_answer"} for t in history]
    req = build(jurisdiction="US", at=at, borrower__timezone="America/New_York", history=hist)
    # The attempt is out of hours either way; judge the frequency rule alone.
    assert ("US-7IN7" not in rules(run(req))) is calendar_allowed
    assert ("US-7IN7" not in rules(run(req, "us-2026.1"))) is rolling_allowed


def test_seven_in_seven_in_the_spring_week_frees_at_the_local_midnight() -> None:
    # Seven calls on 2-8 March (New York, DST from the 8th); an eighth on the 8th is denied
    # and frees when 2 March leaves the seven days: 9 March 00:00 EDT, then 08:00 for hours.
    local = ["2026-03-02T10:00:00-05:00", "2026-03-03T10:00:00-05:00",
             "2026-03-04T10:00:00-05:00", "2026-03-05T10:00:00-05:00",
             "2026-03-06T10:00:00-05:00", "2026-03-07T10:00:00-05:00",
             "2026-03-08T10:00:00-04:00"]
    hist = [{"at": t, "channel": "call", "audience": "borrower", "contact_id": None,
             "outcome": "no_answer"} for t in local]
    d = run(build(jurisdiction="US", at="2026-03-08T15:00:00-04:00",
                  borrower__timezone="America/New_York", history=hist))
    assert rules(d) == {"US-7IN7"}
    assert cited(d)["US-7IN7"] == "12 CFR 1006.14(b)(2)(i)(A)"
    assert datetime.fromisoformat(d.next_allowed_at or "") == datetime.fromisoformat(
        "2026-03-09T08:00:00-04:00")


@pytest.mark.parametrize(("conversation", "attempt", "allowed"), [
    # Los Angeles, fall back on 1 November: a conversation on 26 October (day 1 of 7)
    # holds calls through 1 November; 2 November is free although fewer than 168 hours
    # passed since 26 October 20:00.
    ("2026-10-26T20:00:00-07:00", "2026-11-02T09:00:00-08:00", True),
    ("2026-10-26T20:00:00-07:00", "2026-11-01T20:30:00-08:00", False),
    # Spring forward on 8 March: a conversation on 2 March 09:00 frees on 9 March 08:00,
    # which is more than 168 hours later by the clock but fewer by elapsed time.
    ("2026-03-02T09:00:00-08:00", "2026-03-09T08:00:00-07:00", True),
    ("2026-03-02T09:00:00-08:00", "2026-03-08T20:00:00-07:00", False),
])
def test_after_a_conversation_counts_local_calendar_days(
        conversation: str, attempt: str, allowed: bool) -> None:
    hist = [{"at": conversation, "channel": "call", "audience": "borrower",
             "contact_id": None, "outcome": "connected"}]
    d = run(build(jurisdiction="US", at=attempt, borrower__timezone="America/Los_Angeles",
                  history=hist))
    assert ("US-AFTER-CONVERSATION" not in rules(d)) is allowed
    if not allowed:
        assert cited(d)["US-AFTER-CONVERSATION"] == "12 CFR 1006.14(b)(2)(i)(B)"


def test_a_channel_opt_out_and_a_cease_request_cite_their_own_clauses() -> None:
    at = "2026-05-11T15:00:00+00:00"
    opted = run(build(jurisdiction="US", at=at, borrower__timezone="America/Chicago",
                      borrower__opted_out_channels=["call"]))
    assert cited(opted)["US-CHANNEL-OPT-OUT"] == "12 CFR 1006.14(h)(1)"
    assert "US-CEASE" not in cited(opted)
    ceased = run(build(jurisdiction="US", at=at, borrower__timezone="America/Chicago",
                       borrower__flags=["cease_requested"]))
    assert cited(ceased)["US-CEASE"] == "12 CFR 1006.6(c)"
    assert "US-CHANNEL-OPT-OUT" not in cited(ceased)


def test_a_uk_text_message_opt_out_cites_conc_and_the_house_rule() -> None:
    d = run(build(jurisdiction="UK", at="2026-05-11T10:00:00+00:00",
                  borrower__timezone="Europe/London", attempt__channel="sms",
                  borrower__opted_out_channels=["sms"]))
    assert cited(d)["UK-CHANNEL-OPT-OUT"].startswith("CONC 7.9.4R")
    assert "HOUSE-CEASE" in cited(d)


def test_a_third_party_call_at_21_30_cites_the_rule_that_protects_third_parties() -> None:
    req = contact_request(jurisdiction="US", at="2026-05-12T02:30:00+00:00",
                          borrower__timezone="America/Chicago")  # 21:30 in Chicago
    d = run(req)
    assert "US-HOURS" not in cited(d)  # 1006.6(b)(1)(i) protects the consumer
    assert cited(d)["US-HOURS-OTHERS"].startswith("12 CFR 1006.14(a)")


def test_a_spouse_is_the_consumer_not_a_third_party() -> None:
    spouse = [{"id": "c-1", "relation": "spouse", "source": "borrower_designated",
               "refused_contact": False}]
    collect = {"attempt__purpose": "collection", "jurisdiction": "US",
               "borrower__timezone": "America/Chicago"}
    sibling = run(contact_request(at="2026-05-11T15:00:00+00:00", **collect))
    assert {"US-THIRD-PARTY", "US-NO-DISCLOSURE"} <= set(cited(sibling))
    wife = run(contact_request(at="2026-05-11T15:00:00+00:00", contacts=spouse, **collect))
    assert not {"US-THIRD-PARTY", "US-NO-DISCLOSURE", "US-LOCATION-ONCE"} & set(cited(wife))
    assert {"HOUSE-LOCATE-ONLY", "HOUSE-NO-DISCLOSURE"} <= set(cited(wife))  # house stays
    late = run(contact_request(at="2026-05-12T02:30:00+00:00", contacts=spouse, **collect))
    assert cited(late)["US-HOURS-SPOUSE"] == "12 CFR 1006.6(a)(1), 1006.6(b)(1)(i)"
    assert "US-HOURS-OTHERS" not in cited(late)


def test_local_days_needs_days_and_only_there() -> None:
    from pydantic import ValidationError

    from faircollect.policy.params import CountedCap

    with pytest.raises(ValidationError, match="days is required"):
        CountedCap(limit=7, window="local_days")
    with pytest.raises(ValidationError, match="days is required"):
        CountedCap(limit=7, window="rolling", window_hours=168, days=7)
    assert CountedCap(limit=7, window="local_days", days=7).days == 7
