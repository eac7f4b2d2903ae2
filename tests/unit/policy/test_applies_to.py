"""applies_to in packs the shipped ones do not resemble: a contact-person rule that omits its
audiences or names the borrower, and a rule narrowed by purposes.

Every shipped contact-person rule lists its audiences and none uses `purposes`, so the
safeguard "contact-person rules never apply to the borrower" and the purposes filter were
never exercised. Both the scalar and the vectorised decide are held to the same outcome.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_requests import build, contact_request

from faircollect.policy import decide, parse_request
from faircollect.policy.batch import batch_from_requests
from faircollect.policy.pack import Pack, parse_pack
from faircollect.policy.vector import decide_frame

PACK = parse_pack("""id: zz-2026.1
jurisdiction: ZZ
includes: house-2026.1
rules:
  # Contact-person kinds with no audiences, or naming the borrower: never the borrower.
  - {id: ZZ-LOCATE-ONLY, kind: third_party_purpose, category: THIRD_PARTY, citation: x,
     params: {allowed_purposes: [locate]}}
  - {id: ZZ-SOURCE, kind: contact_source, category: THIRD_PARTY, citation: x,
     applies_to: {audiences: [borrower, designated_contact]},
     params: {allowed: {designated_contact: [borrower_designated]}}}
  - {id: ZZ-UNREACHABLE, kind: borrower_unreachable, category: THIRD_PARTY, citation: x,
     params: {min_days: 30}}
  # A rule narrowed to one purpose: collection calls 10:00-11:00 UTC+8 only.
  - {id: ZZ-COLLECTION-HOURS, kind: contact_hours, category: HOURS, citation: x,
     applies_to: {purposes: [collection]}, params: {start: "10:00", end: "11:00"}}
""", "zz.yaml")


def failing(req: dict[str, Any], pack: Pack = PACK) -> set[str]:
    r = parse_request(req)
    d = decide(r, pack)
    row = decide_frame(batch_from_requests([r]), pack).row(0, named=True)
    assert row["allowed"] is d.allowed
    assert row["rules"] == [v.rule for v in d.violations]
    return {v.rule for v in d.violations}


ZZ_RULES = {"ZZ-LOCATE-ONLY", "ZZ-SOURCE", "ZZ-UNREACHABLE"}


@pytest.mark.parametrize("purpose", ["collection", "reminder"])
def test_contact_person_rules_never_apply_to_the_borrower(purpose: str) -> None:
    # A borrower call that would fail each of them, were they applied to it: not a locate
    # purpose, no contact source, never unreachable.
    req = build(attempt__purpose=purpose, at="2026-05-11T02:30:00+00:00")  # 10:30 Shanghai
    assert failing(req) & ZZ_RULES == set()


def test_they_do_apply_to_a_contact_person() -> None:
    # 14:00 Shanghai, unreachable for 10 days, purpose collection: all three fail.
    got = failing(contact_request(attempt__purpose="collection",
                                  attempt__contact_id="c-1"))
    assert {"ZZ-LOCATE-ONLY", "ZZ-UNREACHABLE"} <= got
    got = failing(contact_request(attempt__contact_id="c-2"))  # an address-book contact
    assert "ZZ-SOURCE" in got


@pytest.mark.parametrize(("purpose", "at", "denied"), [
    ("collection", "2026-05-11T06:00:00+00:00", True),    # 14:00 local, outside 10-11
    ("collection", "2026-05-11T02:30:00+00:00", False),   # 10:30 local
    ("reminder", "2026-05-11T06:00:00+00:00", False),     # another purpose: rule not applied
])
def test_a_rule_narrowed_by_purpose(purpose: str, at: str, denied: bool) -> None:
    got = failing(build(attempt__purpose=purpose, at=at))
    assert ("ZZ-COLLECTION-HOURS" in got) is denied
