"""Packs are data: versioned, validated, always on top of the house baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faircollect.errors import ConfigError, InputError
from faircollect.policy import CATEGORIES, builtin_packs, decide, parse_request, resolve_pack
from faircollect.policy.pack import house_rules, load_pack_file, parse_pack

GOOD = """
id: xx-2026.2
jurisdiction: XX
includes: house-2026.1
rules:
  - id: XX-HOURS
    kind: contact_hours
    category: HOURS
    citation: "Test Act s.1"
    params: {start: "09:00", end: "17:00"}
"""


def test_builtin_packs_and_versions() -> None:
    ids = [p.id for p in builtin_packs()]
    assert ids == ["cn-2026.1", "id-2026.1", "in-2026.1", "ke-2026.1", "ng-2026.1", "ph-2026.1",
                   "uk-2026.1", "uk-2026.2", "us-2026.1", "us-2026.2"]
    house_id, house = house_rules()
    for pack in builtin_packs():
        assert [r.id for r in pack.rules[: len(house)]] == [r.id for r in house]
        assert all(r.category in CATEGORIES and r.citation for r in pack.rules)


def test_resolve_by_jurisdiction_or_id() -> None:
    assert resolve_pack("CN").id == "cn-2026.1"
    assert resolve_pack("us-2026.1").jurisdiction == "US"
    newer = parse_pack(GOOD.replace("xx-", "cn-").replace("XX", "CN"), "cn.yaml")
    assert resolve_pack("CN", extra=(newer,)).id == "cn-2026.2"
    with pytest.raises(InputError, match="jurisdiction"):
        resolve_pack("FR")


def test_a_valid_new_pack_tightens_hours(policy_examples: Path) -> None:
    pack = parse_pack(GOOD, "xx.yaml")
    req = json.loads(policy_examples.read_text().splitlines()[0])["request"]  # 14:00 Shanghai
    req["jurisdiction"] = "XX"
    req["at"] = "2026-05-11T10:00:00Z"  # 18:00 local
    d = decide(parse_request(req), pack)
    assert [v.rule for v in d.violations] == ["XX-HOURS"]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda s: s.replace("contact_hours", "vibes"), "unknown kind"),
        (lambda s: s.replace("HOURS\n", "TIME\n"), "category"),
        (lambda s: s.replace('citation: "Test Act s.1"', 'citation: ""'), "citation"),
        (lambda s: s.replace("XX-HOURS", "HOUSE-CONSENT"), "house rule"),
        (lambda s: s.replace("includes: house-2026.1\n", ""), "house baseline"),
        (lambda s: s + "drop: [HOUSE-CONSENT]\n", "may not drop"),
        (lambda s: s.replace('end: "17:00"', 'end: "07:00"'), "start before end"),
        (lambda s: s.replace('end: "17:00"', 'end: "17:00", lunch: true'), "lunch"),
        (lambda s: s.replace("xx-2026.2", "xx"), "pack id"),
        (lambda s: s.split("rules:")[0] + "rules: []\n", "non-empty"),
        (lambda s: s + "  - id: XX-HOURS\n    kind: cease\n    category: CEASE\n"
                       "    citation: x\n", "twice"),
        (lambda s: s + "  - id: XX-HARVEST\n    kind: contact_source\n    category: THIRD_PARTY\n"
                       "    citation: x\n    params: {allowed: {third_party: [address_book]}}\n",
         "address_book"),
        (lambda s: s + "  - id: XX-HOLD\n    kind: hold_flags\n    category: HOLD\n"
                       "    citation: x\n    params: {flags: [mood]}\n", "unknown flags"),
        (lambda s: "[: not yaml", "YAML"),
    ],
)
def test_broken_packs_are_refused(mutate: object, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        parse_pack(mutate(GOOD), "xx.yaml")  # type: ignore[operator]


def test_load_pack_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing.yaml"):
        load_pack_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("contact_hours", "vibes"))
    with pytest.raises(ConfigError, match="bad.yaml"):
        load_pack_file(bad)


def test_explain_a_rule() -> None:
    rule = resolve_pack("US").rule("US-7IN7")
    assert rule.citation.startswith("12 CFR 1006.14(b)(2)")
    with pytest.raises(InputError):
        resolve_pack("US").rule("NOPE-1")


def test_public_conformance_examples(policy_examples: Path) -> None:
    from datetime import datetime

    for line in policy_examples.read_text().splitlines():
        x = json.loads(line)
        r = parse_request(x["request"])
        d = decide(r, resolve_pack(r.jurisdiction))
        got = {v.category.value for v in d.violations}
        assert d.allowed is x["expect"]["allowed"], x["id"]
        assert set(x["expect"]["categories"]) <= got, x["id"]
        if x["expect"].get("next_allowed_at"):
            assert datetime.fromisoformat(d.next_allowed_at or "") == datetime.fromisoformat(
                x["expect"]["next_allowed_at"])
