"""Scalar decide gaps a mutation run found: next_allowed_at when several later consents or
notices exist, cap counting when a non-matching history entry comes first, and packs that
must be refused (contact hours with start == end; address-book contacts allowed for one of
several audiences)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from policy_requests import build, contact_request

from faircollect.errors import ConfigError
from faircollect.policy import kinds, parse_request, resolve_pack
from faircollect.policy.content_check import content_lint
from faircollect.policy.context import Context
from faircollect.policy.pack import parse_pack

AT = datetime.fromisoformat("2026-05-11T06:00:00+00:00")  # contact_request's instant


def check(rule_id: str, req: dict[str, Any]) -> kinds.Failure | None:
    r = parse_request(req)
    pack = resolve_pack(r.jurisdiction)
    rule = pack.rule(rule_id)
    return kinds.CHECKS[rule.kind](rule.params, Context(r, r.at, content_lint))


def consent(granted: datetime, withdrawn: datetime | None = None,
            purpose: str = "contact_designated_contact") -> dict[str, Any]:
    return {"purpose": purpose, "contact_id": "c-1", "granted_at": granted.isoformat(),
            "expires_at": None, "withdrawn_at": withdrawn.isoformat() if withdrawn else None}


def test_next_allowed_is_the_earliest_of_several_later_consents() -> None:
    d2, d5 = AT + timedelta(days=2), AT + timedelta(days=5)
    for order in ([d5, d2], [d2, d5]):
        f = check("HOUSE-CONSENT", contact_request(consents=[consent(t) for t in order]))
        assert f is not None and f.next_at == d2


def test_a_later_consent_withdrawn_at_its_grant_does_not_count() -> None:
    d1, d3 = AT + timedelta(days=1), AT + timedelta(days=3)
    f = check("HOUSE-CONSENT", contact_request(consents=[
        consent(d1, withdrawn=d1), consent(d3), consent(AT, purpose="marketing")]))
    assert f is not None and f.next_at == d3


def test_next_allowed_is_the_earliest_of_several_recent_notices() -> None:
    one, two = AT - timedelta(days=1), AT - timedelta(days=2)
    for order in ([one, two], [two, one]):
        notices = [{"at": (AT - timedelta(days=9)).isoformat(), "kind": "other"}] + [
            {"at": t.isoformat(), "kind": "escalation_notice"} for t in order]
        f = check("HOUSE-PRIOR-NOTICE", contact_request(notices=notices))
        assert f is not None and f.next_at == two + timedelta(days=3)


def call(at: str, **kw: Any) -> dict[str, Any]:
    return {"at": at, "channel": "call", "audience": "borrower", "contact_id": None,
            "outcome": "connected", **kw}


NON_MATCHING = [
    call("2026-05-10T15:00:00+08:00"),                        # yesterday, local
    call("2026-05-11T08:30:00+08:00", channel="sms"),         # not a call
    call("2026-05-11T08:40:00+08:00", audience="designated_contact", contact_id="c-1"),
    call("2026-05-11T08:50:00+08:00", outcome="no_answer"),   # not a conversation
    call("2026-05-11T16:00:00+08:00"),                        # after the attempt
]
THREE = [call(f"2026-05-11T{h}:00:00+08:00") for h in ("09", "10", "11")]


@pytest.mark.parametrize("first", NON_MATCHING)
def test_a_non_matching_entry_first_does_not_stop_the_count(first: dict[str, Any]) -> None:
    req = build(at="2026-05-11T15:00:00+08:00", history=[first, *THREE])
    f = check("CN-CONNECTED-CAP", req)
    assert f is not None and "3 earlier" in f.message
    assert check("CN-CONNECTED-CAP", build(at="2026-05-11T15:00:00+08:00",
                                           history=[first, *THREE[:2]])) is None


PACK_HEAD = "id: zz-2026.1\njurisdiction: ZZ\nincludes: house-2026.1\nrules:\n"


@pytest.mark.parametrize("rule", [
    '  - {id: ZZ-H, kind: contact_hours, category: HOURS, citation: x,'
    ' params: {start: "09:00", end: "09:00"}}',
    '  - {id: ZZ-H, kind: contact_hours, category: HOURS, citation: x,'
    ' params: {start: "10:00", end: "09:00"}}',
    '  - {id: ZZ-S, kind: contact_source, category: THIRD_PARTY, citation: x, params: {allowed:'
    ' {designated_contact: [borrower_designated], third_party: [public_record, address_book]}}}',
    '  - {id: ZZ-S, kind: contact_source, category: THIRD_PARTY, citation: x, params: {allowed:'
    ' {third_party: [address_book], designated_contact: [borrower_designated]}}}',
])
def test_packs_that_must_be_refused(rule: str) -> None:
    with pytest.raises(ConfigError):
        parse_pack(PACK_HEAD + rule + "\n", "zz.yaml")


def test_a_sound_variant_of_those_packs_is_accepted() -> None:
    parse_pack(PACK_HEAD + '  - {id: ZZ-H, kind: contact_hours, category: HOURS, citation: x,'
               ' params: {start: "09:00", end: "09:01"}}\n', "zz.yaml")
