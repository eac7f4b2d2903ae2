"""HOLD (fail closed on unknown flags), CEASE, TEMPLATE and CONTENT in every pack."""

from __future__ import annotations

import pytest
from policy_requests import build, cats, rules, run

from faircollect.policy.request import KNOWN_FLAGS

PACKS = ("CN", "US", "UK")


def at(j: str) -> dict[str, str]:
    return {"jurisdiction": j, "at": "2026-05-11T13:00:00Z", "borrower__timezone": "Europe/London"}


@pytest.mark.parametrize("j", PACKS)
@pytest.mark.parametrize(
    "flag", ["dispute_open", "bankruptcy", "deceased", "attorney_represented",
             "breathing_space", "hardship_pause"])
def test_holds(j: str, flag: str) -> None:
    d = run(build(borrower__flags=[flag], **at(j)))
    assert cats(d) == {"HOLD"} and "HOUSE-HOLDS" in rules(d)
    assert d.next_allowed_at is None


def test_pack_specific_hold_rules_cite_their_clause() -> None:
    d = run(build(borrower__flags=["breathing_space"], **at("UK")))
    assert rules(d) == {"HOUSE-HOLDS", "UK-BREATHING-SPACE"}
    d = run(build(borrower__flags=["attorney_represented"], **at("US")))
    assert {v.citation for v in d.violations} >= {"12 CFR 1006.6(b)(2)"}


@pytest.mark.parametrize("j", PACKS)
def test_unknown_flag_fails_closed(j: str) -> None:
    d = run(build(borrower__flags=["new_upstream_flag"], **at(j)))
    assert not d.allowed
    assert rules(d) == {"HOUSE-UNKNOWN-FLAG"} and cats(d) == {"HOLD"}


def test_vulnerable_is_known_and_no_hold() -> None:
    assert "vulnerable" in KNOWN_FLAGS
    assert run(build(borrower__flags=["vulnerable"], **at("UK"))).allowed


@pytest.mark.parametrize("j", PACKS)
def test_cease_and_opt_out(j: str) -> None:
    d = run(build(borrower__flags=["cease_requested"], **at(j)))
    assert cats(d) == {"CEASE"}
    d = run(build(borrower__opted_out_channels=["call"], **at(j)))
    assert cats(d) == {"CEASE"}
    assert run(build(borrower__opted_out_channels=["sms"], **at(j))).allowed


@pytest.mark.parametrize("j", PACKS)
def test_unapproved_or_missing_template(j: str) -> None:
    d = run(build(attempt__template={"id": "t-1", "approved": False, "locale": "en"}, **at(j)))
    assert cats(d) == {"TEMPLATE"}
    d = run(build(attempt__channel="sms", attempt__template=None, **at(j)))
    assert cats(d) == {"TEMPLATE"}
    assert run(build(attempt__template=None, **at(j))).allowed  # a call may have no template


@pytest.mark.parametrize("j", PACKS)
def test_threatening_body_is_content(j: str) -> None:
    body = {"id": "t-1", "approved": True, "locale": "en",
            "body": "Pay up, you lowlife, or we'll make sure your neighbours hear about it."}
    d = run(build(attempt__template=body, **at(j)))
    assert cats(d) == {"CONTENT"}


def test_us_requires_an_opt_out_in_texts_and_emails() -> None:
    body = {"id": "t-1", "approved": True, "locale": "en", "body": "Hi {name}, please pay."}
    d = run(build(attempt__channel="sms", attempt__template=body, **at("US")))
    assert rules(d) == {"US-OPT-OUT"}
    assert run(build(attempt__channel="sms", attempt__template=body, **at("UK"))).allowed
    assert run(build(attempt__template=body, **at("US"))).allowed  # a call needs none


def test_every_failing_rule_is_listed() -> None:
    d = run(build(at="2026-05-11T23:00:00+08:00", borrower__flags=["dispute_open", "odd"],
                  borrower__opted_out_channels=["call"]))
    assert cats(d) == {"HOURS", "HOLD", "CEASE"}
    assert d.next_allowed_at is None
    assert len(d.violations) == 4


def test_a_body_the_linter_cannot_read_fails_closed() -> None:
    body = {"id": "t-1", "approved": True, "locale": "fr", "body": "Bonjour {name}."}
    d = run(build(attempt__template=body, **at("UK")))
    assert cats(d) == {"CONTENT"}
    assert all("LINT_ERROR" in v.message for v in d.violations)


def test_builtin_fallback_check() -> None:
    from faircollect.policy.content_check import builtin_lint

    assert "INSULT" in builtin_lint("Pay up, you lowlife.", "en", "borrower", "call")
    assert "OPT_OUT_MISSING" in builtin_lint("Please pay.", "en", "borrower", "sms")
    assert "OPT_OUT_MISSING" not in builtin_lint("Reply STOP to opt out.", "en", "borrower", "sms")
    assert builtin_lint("请转告{name}归还欠款", "zh-CN", "designated_contact", "call") == {
        "THIRD_PARTY_DISCLOSURE"}
