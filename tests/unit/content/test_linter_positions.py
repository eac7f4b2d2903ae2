"""Where findings point, on text the normaliser rewrites more than once; in-word hyphens and
apostrophes; masked words; the order of findings. All through `lint_uncached`, so no memo
hides a linter that changes its answer between calls.
"""

from __future__ import annotations

import pytest

from faircollect.content.lexicon import load
from faircollect.content.linter import lint, lint_uncached
from faircollect.content.normaliser import _unmask, en_view, fold


def spans(body: str, audience: str = "borrower",
          channel: str | None = None) -> list[tuple[str, str]]:
    out = lint_uncached(body, locale="en", audience=audience, channel=channel)
    return [(f.category.value, body[f.span[0]:f.span[1]]) for f in out]


@pytest.mark.parametrize(("body", "expected"), [
    ("You s-c-u-m-b-a-g, we will h u r t you.",
     [("INSULT", "s-c-u-m-b-a-g"), ("THREAT", "h u r t you")]),
    ("We'll j.a.i.l you, you sc*mbag, we will h-u-r-t you and your l0s3r family.",
     [("FALSE_LEGAL", "j.a.i.l"), ("INSULT", "sc*mbag"), ("THREAT", "h-u-r-t you"),
      ("INSULT", "l0s3r")]),
    ("Y o u  i d i o t, we'll c-a-l-l the p.o.l.i.c.e",
     [("INSULT", "i d i o t"), ("FALSE_LEGAL", "p.o.l.i.c.e")]),
])
def test_findings_point_at_the_original_text_after_several_edits(
        body: str, expected: list[tuple[str, str]]) -> None:
    assert spans(body) == expected


def test_exact_offsets_after_several_edits() -> None:
    body = "We'll j.a.i.l you, you sc*mbag, we will h-u-r-t you and your l0s3r family."
    got = [f.span for f in lint_uncached(body, locale="en", audience="borrower", channel=None)]
    assert got == [(6, 13), (23, 30), (40, 51), (61, 66)]


@pytest.mark.parametrize(("body", "expected"), [
    ("You're a scum-bag.", [("INSULT", "scum-bag")]),        # an in-word hyphen joins
    ("You i-d-i-o-t.", [("INSULT", "i-d-i-o-t")]),
    ("You're an id'iot.", [("INSULT", "id'iot")]),            # an in-word apostrophe joins
    ("Well-known firm: pay now, it's due.", []),              # and clean words stay clean
    ("We'll call back; it's a long-term plan.", []),
    ("Pay now - or call us.", []),                            # a stray hyphen is a space
])
def test_in_word_hyphens_and_apostrophes(body: str, expected: list[tuple[str, str]]) -> None:
    assert spans(body) == expected


MASKED = load("en").masked_words


@pytest.mark.parametrize(("word", "reads"), [
    ("sc*mbag", "scumbag"),
    ("f*ck", "fuck"),
    ("du*b", "dumb"),        # the first four-letter masked word (fuck) does not fit
    ("l*ser", "loser"),
    ("*diot", "idiot"),
    ("h*llo", "hllo"),       # fits no masked word: the stars are dropped
    ("****", ""),            # all stars: not read as any word
])
def test_masked_words_read_as_the_word_that_fits(word: str, reads: str) -> None:
    assert _unmask(word, MASKED) == reads


def test_a_masked_word_is_read_in_the_view() -> None:
    lex = load("en")
    view = en_view(fold("you du*b l*ser", lex.placeholder_class), lex.masked_words)
    assert view.text == "you dumb loser"


def test_findings_are_sorted_by_position_whatever_the_rule_order() -> None:
    body = "Idiot. We will call the police and hurt you, you idiot"
    out = lint_uncached(body, locale="en", audience="borrower", channel="sms")
    keys = [(f.span[0], f.span[1], f.category.value, f.rule) for f in out]
    assert keys == sorted(keys)
    assert [f.category.value for f in out] == [
        "INSULT", "OPT_OUT_MISSING", "FALSE_LEGAL", "THREAT", "INSULT"]
    assert out[0].span == (0, 5) and out[1].span == (0, len(body))


def test_the_memo_returns_what_the_linter_computes() -> None:
    for body in ("You s-c-u-m-b-a-g, we will h u r t you.", "Hi {name}, please pay.",
                 "Idiot. We will call the police and hurt you, you idiot"):
        fresh = lint_uncached(body, locale="en", audience="third_party", channel="sms")
        assert lint(body, locale="en", audience="third_party", channel="sms") == fresh
        assert lint_uncached(body, locale="en", audience="third_party", channel="sms") == fresh


def test_findings_starting_together_are_ordered_by_end_before_category() -> None:
    # THREAT sorts after OPT_OUT_MISSING by name, but its span ends first.
    out = lint_uncached("Hurt you, we will.", locale="en", audience="borrower", channel="sms")
    assert [(f.category.value, f.span) for f in out] == [
        ("THREAT", (0, 8)), ("OPT_OUT_MISSING", (0, 18))]
