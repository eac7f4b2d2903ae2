"""CONSENT, THIRD_PARTY, DISCLOSURE and PRIOR_NOTICE for contact persons, in every pack."""

from __future__ import annotations

import pytest
from policy_requests import cats, contact_request, rules, run

AT = "2026-05-11T06:00:00+00:00"
PACKS = ("CN", "US", "UK")


@pytest.mark.parametrize("j", PACKS)
def test_lawful_locate_call_is_allowed(j: str) -> None:
    tz = {"CN": "Asia/Shanghai", "US": "America/New_York", "UK": "Europe/London"}[j]
    at = {"CN": AT, "US": "2026-05-11T15:00:00Z", "UK": "2026-05-11T10:00:00Z"}[j]
    d = run(contact_request(jurisdiction=j, at=at, borrower__timezone=tz))
    assert d.allowed, d.violations


def consent(expires: str | None = None, withdrawn: str | None = None,
            granted: str = "2026-01-01T00:00:00+00:00") -> list[dict[str, object]]:
    return [{"purpose": "contact_designated_contact", "contact_id": "c-1", "granted_at": granted,
             "expires_at": expires, "withdrawn_at": withdrawn}]


@pytest.mark.parametrize("j", PACKS)
def test_consent_expiring_a_minute_before_the_attempt(j: str) -> None:
    at = "2026-05-11T10:00:00+00:00"
    tz = "Asia/Shanghai" if j == "CN" else "Europe/London"
    ok = run(contact_request(jurisdiction=j, at=at, borrower__timezone=tz,
                             consents=consent(expires="2026-05-11T10:01:00+00:00")))
    assert ok.allowed
    d = run(contact_request(jurisdiction=j, at=at, borrower__timezone=tz,
                            consents=consent(expires="2026-05-11T09:59:00+00:00")))
    assert rules(d) == {"HOUSE-CONSENT"} and d.next_allowed_at is None
    # expiring exactly at the attempt is expired
    d = run(contact_request(jurisdiction=j, at=at, borrower__timezone=tz,
                            consents=consent(expires=at)))
    assert cats(d) == {"CONSENT"}


def test_withdrawn_consent_and_consent_for_another_contact() -> None:
    d = run(contact_request(consents=consent(withdrawn="2026-05-11T05:00:00+00:00")))
    assert cats(d) == {"CONSENT"}
    other = consent()
    other[0]["contact_id"] = "c-3"
    assert cats(run(contact_request(consents=other))) == {"CONSENT"}


def test_consent_granted_later_gives_next_allowed() -> None:
    d = run(contact_request(consents=consent(granted="2026-05-11T07:00:00+00:00")))
    assert cats(d) == {"CONSENT"}
    assert d.next_allowed_at == "2026-05-11T15:00:00+08:00"


@pytest.mark.parametrize("j", PACKS)
def test_address_book_contact_never(j: str) -> None:
    d = run(contact_request(jurisdiction=j, attempt__contact_id="c-2",
                            at="2026-05-11T12:00:00Z", borrower__timezone="Europe/London"))
    assert "HOUSE-NO-HARVEST" in rules(d) and "THIRD_PARTY" in cats(d)


def test_unknown_contact_is_denied() -> None:
    d = run(contact_request(attempt__contact_id="c-404"))
    assert "HOUSE-NO-HARVEST" in rules(d)


def test_borrower_first_three_days() -> None:
    d = run(contact_request(borrower__unreachable_since="2026-05-09T06:00:01+00:00"))
    assert rules(d) == {"HOUSE-BORROWER-FIRST"}
    assert d.next_allowed_at == "2026-05-12T14:00:01+08:00"
    assert run(contact_request(borrower__unreachable_since="2026-05-08T06:00:00+00:00")).allowed
    d = run(contact_request(borrower__unreachable_since=None))
    assert rules(d) == {"HOUSE-BORROWER-FIRST"} and d.next_allowed_at is None


def test_prior_notice_three_days_before() -> None:
    late = [{"at": "2026-05-09T06:00:00+00:00", "kind": "escalation_notice"}]
    d = run(contact_request(notices=late))
    assert cats(d) == {"PRIOR_NOTICE"}
    assert d.next_allowed_at == "2026-05-12T14:00:00+08:00"
    wrong_kind = [{"at": "2026-05-01T06:00:00+00:00", "kind": "statement"}]
    d = run(contact_request(notices=wrong_kind))
    assert cats(d) == {"PRIOR_NOTICE"} and d.next_allowed_at is None


def test_field_visit_to_the_borrower_is_not_a_prior_notice_check() -> None:
    """decision-api.md: PRIOR_NOTICE is escalation to a third party; REGULATIONS.md
    HOUSE-PRIOR-NOTICE: the decision point checks the notice for contact persons only."""
    from policy_requests import build

    d = run(build(attempt__channel="visit"))
    assert d.allowed and not d.violations


def test_collection_purpose_to_a_contact_is_third_party_and_disclosure() -> None:
    d = run(contact_request(attempt__purpose="collection"))
    assert {"THIRD_PARTY", "DISCLOSURE"} <= cats(d)
    assert {"HOUSE-LOCATE-ONLY", "HOUSE-NO-DISCLOSURE", "CN-NO-DISCLOSURE"} <= rules(d)


def test_body_revealing_the_debt_to_a_contact_is_disclosure() -> None:
    body = {"id": "t-9", "approved": True, "locale": "zh-CN",
            "body": "您好，请转告{name}尽快归还所欠的{amount}元。"}
    d = run(contact_request(attempt__template=body))
    assert cats(d) == {"DISCLOSURE"}


def test_refused_contact_never_again() -> None:
    contacts = [{"id": "c-1", "relation": "sibling", "source": "borrower_designated",
                 "refused_contact": True}]
    assert rules(run(contact_request(contacts=contacts))) == {"HOUSE-REFUSAL"}
    hist = [{"at": "2026-05-10T06:00:00+00:00", "channel": "call",
             "audience": "designated_contact", "contact_id": "c-1", "outcome": "refused"}]
    assert rules(run(contact_request(history=hist))) == {"HOUSE-REFUSAL"}


def test_us_location_inquiry_once_only() -> None:
    base = {"jurisdiction": "US", "at": "2026-05-11T15:00:00Z",
            "borrower__timezone": "America/New_York"}
    hist = [{"at": "2026-05-10T15:00:00Z", "channel": "call", "audience": "designated_contact",
             "contact_id": "c-1", "outcome": "connected"}]
    assert rules(run(contact_request(history=hist, **base))) == {"US-LOCATION-ONCE"}
    hist[0]["outcome"] = "no_answer"  # never reached: may try again
    assert run(contact_request(history=hist, **base)).allowed
    # CN has no once-only rule
    hist[0]["outcome"] = "connected"
    assert run(contact_request(history=hist)).allowed


@pytest.mark.parametrize("j", ("US", "UK"))
def test_designated_person_labelled_third_party_still_needs_consent(j: str) -> None:
    from faircollect.policy import parse_request, resolve_pack
    from faircollect.policy.batch import batch_from_requests
    from faircollect.policy.vector import decide_frame

    at = "2026-05-11T15:00:00Z"
    bare = contact_request(jurisdiction=j, at=at, attempt__audience="third_party",
                           borrower__timezone="Europe/London", consents=[])
    d = run(bare)
    assert rules(d) == {"HOUSE-CONSENT"} and d.next_allowed_at is None
    ok = contact_request(jurisdiction=j, at=at, attempt__audience="third_party",
                         borrower__timezone="Europe/London")
    assert run(ok).allowed
    public = contact_request(
        jurisdiction=j, at=at, attempt__audience="third_party", consents=[],
        borrower__timezone="Europe/London",
        contacts=[{"id": "c-1", "relation": "neighbour", "source": "public_record",
                   "refused_contact": False}])
    assert run(public).allowed  # a public-record person is no designated contact
    reqs = [parse_request(x) for x in (bare, ok, public)]
    frame = decide_frame(batch_from_requests(reqs), resolve_pack(j))
    assert frame["allowed"].to_list() == [False, True, True]
    assert frame["rules"].to_list()[0] == ["HOUSE-CONSENT"]
