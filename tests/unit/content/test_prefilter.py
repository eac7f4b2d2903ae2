"""The literal prefilter: derived literal sets are sound, and gating changes no finding."""

from __future__ import annotations

import random
import re

import pytest
from content_corpus import load_corpus
from hypothesis import given, settings
from hypothesis import strategies as st
from reports_figures import load as load_reports
from test_heldout_corpus import load_heldout

from faircollect.content.lexicon import load
from faircollect.content.linter import lint, lint_uncached
from faircollect.content.prefilter import LiteralScanner, required_literals


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"abc", {"abc"}),
    (r"\bab(?:cd|e)f?", {"abcd", "abe"}),
    (r"(?:打|砍)死", {"打死", "砍死"}),
    (r"x+y", {"xy"}),
    (r"\b(?:f+u+c+k+\w*|fck\w*)", {"fu", "fck"}),
    (r"a.{0,3}bcd", {"bcd"}),
])
def test_required_literals(pattern: str, expected: set[str]) -> None:
    assert required_literals(pattern) == frozenset(expected)


@pytest.mark.parametrize("pattern", [r"\w+", r"a?b?", r"[^x]+", r"(?i)abc", r"(?:a|\d)"])
def test_no_requirement_when_none_is_certain(pattern: str) -> None:
    assert required_literals(pattern) is None


@given(st.text(alphabet="abcxyz .|-", max_size=12), st.sampled_from([
    r"ab(?:c|d)e?", r"x+y+", r"(?:ab|ba)z", r"\bza\b", r"a.{0,2}c", r"(?:yx|xy)+a",
]))
@settings(max_examples=300, deadline=None)
def test_every_match_holds_a_required_literal(text: str, pattern: str) -> None:
    req = required_literals(pattern)
    assert req is not None
    for m in re.finditer(pattern, text):
        assert any(lit in m.group() for lit in req)


@given(st.text(alphabet="abcab", max_size=20))
@settings(max_examples=300, deadline=None)
def test_scanner_finds_overlapping_literals(text: str) -> None:
    lits = {"a", "ab", "abc", "bca", "ca", "cab", "bb"}
    assert LiteralScanner.build(lits).present(text) == {x for x in lits if x in text}


def _bodies() -> list[tuple[str, str]]:
    rows = [(r["locale"], r["body"]) for r in load_corpus() + load_heldout() + load_reports()]
    rng = random.Random(6)
    mixed = []
    for locale in ("zh-CN", "en", "id-ID"):
        words = sorted({lit for lit in load(locale).triggers if len(lit) > 1})
        for _ in range(150):  # literal soup: many branches enabled at once
            sep = "" if locale == "zh-CN" else " "
            mixed.append((locale, sep.join(rng.choice(words) for _ in range(rng.randint(2, 9)))))
    return rows + mixed


@pytest.mark.parametrize("audience", ["borrower", "third_party"])
def test_prefilter_changes_no_finding(audience: str) -> None:
    for locale, body in _bodies():
        for channel in (None, "sms"):
            fast = lint_uncached(body, locale=locale, audience=audience, channel=channel)
            full = lint_uncached(body, locale=locale, audience=audience, channel=channel,
                                 prefilter=False)
            assert fast == full, body
            assert lint(body, locale=locale, audience=audience, channel=channel) == full
