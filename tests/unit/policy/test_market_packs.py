"""The IN, NG, PH, KE and ID packs on decision cases written from each rule's own text.

`market_cases.jsonl` holds cases in the conformance format plus `rules` (rules that must be
among the failing ones) and `text` (the clause the case reads). Every case runs through the
scalar `decide` and the vectorised `decide_frame`, which must agree with each other and with
the case.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from faircollect.errors import ConfigError
from faircollect.policy import decide, parse_request, resolve_pack
from faircollect.policy.batch import batch_from_requests
from faircollect.policy.holidays import calendar, parse_calendar
from faircollect.policy.pack import parse_pack
from faircollect.policy.vector import decide_frame

CASES = [json.loads(line) for line in
         (Path(__file__).with_name("market_cases.jsonl")).read_text("utf-8").splitlines()
         if line.strip()]
MARKETS = ("IN", "NG", "PH", "KE", "ID")


def test_each_new_pack_has_at_least_twelve_cases_citing_their_rule() -> None:
    per = Counter(c["request"]["jurisdiction"] for c in CASES)
    assert all(per[j] >= 12 for j in MARKETS), per
    assert len({c["id"] for c in CASES}) == len(CASES)
    for c in CASES:
        assert c["text"], c["id"]
        pack = resolve_pack(c["request"]["jurisdiction"])
        for rule in c["rules"]:
            pack.rule(rule)  # every named rule exists in the pack


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_scalar_decision_matches_the_case(case: dict[str, Any]) -> None:
    req = parse_request(case["request"])
    d = decide(req, resolve_pack(req.jurisdiction))
    e = case["expect"]
    cats = {v.category.value for v in d.violations}
    rules = {v.rule for v in d.violations}
    assert d.allowed is e["allowed"], d.violations
    assert set(e["categories"]) <= cats and (not e["allowed"] or not cats)
    assert set(case["rules"]) <= rules, rules
    if "next_allowed_at" in e:
        want = e["next_allowed_at"]
        if want is None:
            assert d.next_allowed_at is None
        else:
            assert d.next_allowed_at is not None
            assert datetime.fromisoformat(d.next_allowed_at) == datetime.fromisoformat(want)


@pytest.mark.parametrize("jurisdiction", MARKETS)
def test_vectorised_engine_agrees_on_every_case(jurisdiction: str) -> None:
    cases = [c for c in CASES if c["request"]["jurisdiction"] == jurisdiction]
    reqs = [parse_request(c["request"]) for c in cases]
    pack = resolve_pack(jurisdiction)
    frame = decide_frame(batch_from_requests(reqs), pack)
    for c, r, row in zip(cases, reqs, frame.iter_rows(named=True), strict=True):
        d = decide(r, pack)
        assert row["allowed"] is d.allowed is c["expect"]["allowed"], c["id"]
        assert row["rules"] == [v.rule for v in d.violations], c["id"]


def test_indonesia_2026_calendar_names_its_source_and_days() -> None:
    cal = calendar("ID")
    assert "1497" in cal.sources[2026]
    national = cal.holidays(("national_holiday",))
    leave = cal.holidays(("collective_leave",))
    assert len(national) == 17 and len(leave) == 8
    assert date(2026, 8, 17) in national and date(2026, 5, 15) in leave
    assert not cal.covers(date(2027, 1, 4))


def test_a_calendar_year_without_a_source_is_refused() -> None:
    with pytest.raises(ConfigError, match="names its source"):
        parse_calendar("calendar: X\nyears:\n  2026: {days: []}\n", "x.yaml")


def test_a_rule_naming_an_unknown_calendar_is_refused() -> None:
    text = """id: zz-2026.1
jurisdiction: ZZ
includes: house-2026.1
rules:
  - {id: ZZ-DAYS, kind: contact_days, category: HOURS, citation: x,
     params: {weekdays: [mon], calendar: ZZ}}
"""
    with pytest.raises(ConfigError, match="unknown calendar"):
        parse_pack(text, "zz.yaml")


def test_a_pack_serving_a_locale_without_a_lexicon_is_refused_clearly() -> None:
    text = """id: zz-2026.1
jurisdiction: ZZ
includes: house-2026.1
locales: [id-ID]
rules:
  - {id: ZZ-HOLD, kind: hold_flags, category: HOLD, citation: x, params: {flags: [deceased]}}
"""
    with pytest.raises(ConfigError, match="id-ID"):
        parse_pack(text, "zz.yaml")


def test_liable_parties_reach_the_house_rule_and_nothing_else() -> None:
    assert resolve_pack("PH").rule("HOUSE-LIABLE-PARTY").params.served == (  # type: ignore[attr-defined]
        "guarantor", "co_maker")
    assert resolve_pack("NG").liable_parties == ("guarantor",)
    for j in ("CN", "US", "UK", "IN", "KE", "ID"):
        assert resolve_pack(j).rule("HOUSE-LIABLE-PARTY").params.served == ()  # type: ignore[attr-defined]


def test_liable_parties_must_be_known_audiences() -> None:
    text = """id: zz-2026.1
jurisdiction: ZZ
includes: house-2026.1
liable_parties: [spouse]
rules:
  - {id: ZZ-HOLD, kind: hold_flags, category: HOLD, citation: x, params: {flags: [deceased]}}
"""
    with pytest.raises(ConfigError, match="liable_parties"):
        parse_pack(text, "zz.yaml")


def test_actor_is_optional_and_left_out_of_the_canonical_request() -> None:
    from faircollect.policy.records import canonical_request

    data = CASES[0]["request"]
    plain = parse_request(data)
    assert '"actor"' not in canonical_request(plain)
    with_actor = parse_request({**data, "actor": {"id": "u-17", "kind": "collector",
                                                  "training_valid": True}})
    assert '"actor"' in canonical_request(with_actor)
    pack = resolve_pack(plain.jurisdiction)
    assert decide(with_actor, pack) == decide(plain, pack)


def test_earlier_requests_and_decisions_are_unchanged_by_the_additions() -> None:
    # The shared contract's public examples (CN/US/UK) decide as they did: no new rule fails
    # for an audience, relation or field that earlier requests could not carry.
    from faircollect.policy.pack import house_rules

    _, house = house_rules()
    liable = next(r for r in house if r.id == "HOUSE-LIABLE-PARTY")
    assert liable.applies_to.audiences == ("guarantor", "co_maker")


def test_a_batch_without_days_past_due_is_not_waived() -> None:
    # The PH hours are waived past 15 days past due; a batch builder that leaves the column
    # out gets no waiver (fail closed), while one that carries it agrees with the scalar engine.
    case = next(c for c in CASES if c["id"] == "ph-call-2230-dpd16-allowed")
    req = parse_request(case["request"])
    pack = resolve_pack("PH")
    batch = batch_from_requests([req])
    assert decide_frame(batch, pack)["allowed"].to_list() == [True]
    bare = type(batch)(**{**{k: getattr(batch, k) for k in (
        "flags", "opted_out", "windows", "contacts", "consents", "history", "notices")},
        "requests": batch.requests.drop("days_past_due")})
    frame = decide_frame(bare, pack)
    assert frame["allowed"].to_list() == [False] and frame["rules"][0].to_list() == ["PH-HOURS"]
