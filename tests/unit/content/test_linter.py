"""The linter's contract: audience, channel, opt-out defaults, spans, citations, purity."""

from __future__ import annotations

import dataclasses
import io
import json
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.cli import main
from faircollect.content.finding import Category, Finding
from faircollect.content.lexicon import parse
from faircollect.content.linter import lint, lint_uncached
from faircollect.content.starter import starter_templates
from faircollect.errors import ConfigError, InputError


def cats(body: str, **kw: object) -> set[str]:
    args: dict[str, object] = {"locale": "en", "audience": "borrower", "channel": None, **kw}
    return {f.category.value for f in lint(body, **args)}  # type: ignore[arg-type]


def test_amounts_are_fine_for_the_borrower_and_disclosure_for_anyone_else() -> None:
    body = "Please ask {name} about the {amount} due on {due_date}."
    assert cats(body) == set()
    assert cats(body, audience="designated_contact") == {"THIRD_PARTY_DISCLOSURE"}
    assert cats("请转告{name}，逾期{dpd}天", locale="zh-CN", audience="third_party") == {
        "THIRD_PARTY_DISCLOSURE"}
    assert cats("请转告{name}回电{hotline}", locale="zh-CN", audience="third_party") == set()


def test_opt_out_defaults_and_explicit_override() -> None:
    body = "Hi {name}, your statement is ready."
    assert cats(body, channel="sms") == {"OPT_OUT_MISSING"}
    assert cats(body, channel="email") == {"OPT_OUT_MISSING"}
    assert cats(body, channel="letter") == set()
    assert cats(body, channel=None) == set()
    assert cats(body, channel="sms", require_opt_out=False) == set()
    assert cats(body, channel="letter", require_opt_out=True) == {"OPT_OUT_MISSING"}
    zh = "{name}您好，您的账单已出。"
    assert cats(zh, locale="zh-CN", channel="sms") == set()  # CN pack decides; none by default
    assert cats(zh, locale="zh-CN", channel="sms", require_opt_out=True) == {"OPT_OUT_MISSING"}
    assert cats(zh + "回复TD退订", locale="zh-CN", channel="sms", require_opt_out=True) == set()


def test_findings_are_frozen_values_with_citations() -> None:
    (f,) = lint("Pay or go to jail.", locale="en", audience="borrower", channel=None)
    assert isinstance(f, Finding) and f.category is Category.FALSE_LEGAL
    assert f.citation == "US-CONDUCT" and f.rule == "EN-FALSE-LEGAL"
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.rule = "x"  # type: ignore[misc]
    assert f.to_dict() == {"category": "FALSE_LEGAL", "rule": "EN-FALSE-LEGAL",
                           "span": [13, 17], "message": f.message}
    (z,) = lint("让你全家都知道", locale="zh-CN", audience="borrower", channel=None)
    assert z.citation == "CN-CONDUCT"
    (d,) = lint("{name} owes us", locale="en", audience="third_party", channel=None)
    assert d.citation == "HOUSE-LOCATE-ONLY"


def test_negated_reassurances_are_not_violations_but_conditions_are() -> None:
    assert cats("We will never contact your employer.") == set()
    assert cats("If you do not pay, we will contact your employer.") == {"EXPOSURE_THREAT"}
    assert cats("逾期不会导致您被拘留", locale="zh-CN") == set()
    assert cats("不还钱就让你被拘留", locale="zh-CN") == {"FALSE_LEGAL"}


def test_bad_arguments_raise_input_errors() -> None:
    with pytest.raises(InputError):
        lint("x", locale="en", audience="neighbour", channel=None)
    with pytest.raises(ConfigError):
        lint("x", locale="fr", audience="borrower", channel=None)


def test_a_broken_lexicon_is_a_config_error() -> None:
    base = {"locale": "en", "version": "t", "opt_out": {
        "rule": "O", "citation": "US-OPT-OUT", "message": "m", "patterns": ["stop"]}}
    with pytest.raises(ConfigError):
        parse({**base, "rules": [{"id": "R", "category": "NOPE", "citation": "c",
                                  "message": "m", "patterns": ["x"]}]}, source="t")
    with pytest.raises(ConfigError):
        parse({**base, "rules": [{"id": "R", "category": "THREAT", "citation": "c",
                                  "message": "m", "patterns": ["(unclosed"]}]}, source="t")
    with pytest.raises(ConfigError):
        parse({**base, "rules": [{"id": "R", "category": "THREAT", "citation": "c",
                                  "message": "m", "patterns": ["{{MISSING}}"]}]}, source="t")


def test_every_starter_template_lints_clean() -> None:
    drafts = starter_templates()
    stages = {d.template_id.split("-", 1)[1] for d in drafts}
    assert {"pre-due", "early", "late", "hardship", "ptp-reminder", "escalation-notice",
            "locate", "payment-confirmation", "dispute-ack"} <= stages
    assert {d.jurisdiction for d in drafts} == {"CN", "US", "UK", "IN", "NG", "PH", "KE", "ID"}
    for d in drafts:
        assert lint(d.body, locale=d.locale, audience=d.audience, channel=d.channel) == [], (
            d.template_id)


@settings(max_examples=300, deadline=None)
@given(body=st.text(max_size=120), locale=st.sampled_from(["en", "zh-CN", "id-ID"]),
       audience=st.sampled_from(["borrower", "designated_contact", "third_party"]))
def test_any_text_lints_with_spans_inside_the_body(body: str, locale: str, audience: str) -> None:
    findings = lint(body, locale=locale, audience=audience, channel="sms")
    for f in findings:
        assert 0 <= f.span[0] < f.span[1] <= max(1, len(body)) or (
            f.category is Category.OPT_OUT_MISSING and f.span == (0, len(body)))
    # Purity, checked past the memo: two fresh runs agree with each other and with the memo.
    fresh = lint_uncached(body, locale=locale, audience=audience, channel="sms")
    assert fresh == lint_uncached(body, locale=locale, audience=audience, channel="sms")
    assert findings == fresh


@dataclasses.dataclass
class _Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def run(stdin: str) -> _Run:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["templates", "lint", "-"])
        out = capsys.readouterr()
        return _Run(code, out.out, out.err)

    return run


def test_cli_lint_prints_one_result_per_line_in_order(_cli) -> None:  # type: ignore[no-untyped-def]
    lines = [
        {"id": "a", "locale": "en", "audience": "borrower", "body": "You idiot."},
        {"id": "b", "locale": "zh-CN", "audience": "borrower", "channel": "sms",
         "body": "{name}您好，请按时还款。"},
    ]
    out = _cli("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n")
    assert out.returncode == 0, out.stderr
    got = [json.loads(x) for x in out.stdout.splitlines()]
    assert [g["id"] for g in got] == ["a", "b"]
    assert got[0]["compliant"] is False and got[1] == {"id": "b", "compliant": True,
                                                      "findings": []}
    assert set(got[0]["findings"][0]) == {"category", "rule", "span", "message"}
    assert got[0]["findings"][0]["span"] == [4, 9]


def test_cli_lint_malformed_input_exits_2_naming_the_line(_cli) -> None:  # type: ignore[no-untyped-def]
    good = json.dumps({"id": "a", "locale": "en", "audience": "borrower", "body": "hi"})
    out = _cli(good + "\n{not json\n")
    assert out.returncode == 2 and ":2" in out.stderr and out.stdout == ""
    out = _cli(good + "\n" + json.dumps({"id": "b", "locale": "en", "body": "x"}) + "\n")
    assert out.returncode == 2 and ":2" in out.stderr and "audience" in out.stderr


@pytest.mark.parametrize(("locale", "body", "symbol"), [
    ("zh-CN", "亲，还钱了吗😊？不还的话你懂的🔪🩸，别让我们太为难", "🔪"),
    ("en", "Your payment is due today 🔫", "🔫"),
    ("en", "Last warning ⚰️", "⚰"),
])
def test_weapon_and_death_symbols_are_a_threat_where_they_stand(
    locale: str, body: str, symbol: str
) -> None:
    found = [f for f in lint(body, locale=locale, audience="borrower", channel=None)
             if f.category is Category.THREAT]
    assert len(found) == 1
    start, end = found[0].span
    assert body[start:end] == symbol


@pytest.mark.parametrize("body", ["Thanks for your payment 😊👍", "Deal of the week 🔥💀 lol",
                                  "还款成功啦🎉，感谢您的配合🙏"])
def test_friendly_symbols_are_not_a_threat(body: str) -> None:
    locale = "zh-CN" if any("\u4e00" <= c <= "\u9fff" for c in body) else "en"
    assert lint(body, locale=locale, audience="borrower", channel=None) == []
