"""Obfuscated copies of the corpus: every violation is still caught, look-alikes stay clean.

Each transform rewrites a whole message (outside its placeholders) the way evaders do: letters
spelled out with separators, full-width forms, traditional characters, Cyrillic homoglyphs,
zero-width characters inside words, leetspeak, upper case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources

import pytest
from content_corpus import load_corpus

from faircollect.content.linter import lint

_PLACEHOLDER = re.compile(r"(\{[A-Za-z_]+\})")
_CYRILLIC = str.maketrans({"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у",
                           "i": "і"})
# Messages that already spell a word out (h u r t, J.A.I.L, sc*mbag) are not spelled out again:
# letters inside letters is ambiguous even to a person.
_ALREADY_SPELLED = re.compile(r"\b\w[ .*\-]\w[ .*\-]\w\b|\*")
_PER_LETTER = {"hyphenated letters", "dotted letters", "zero-width inside words", "spaced letters"}
_LEET = str.maketrans({"o": "0", "e": "3", "a": "4", "i": "1", "s": "5"})


def outside_placeholders(fn: Callable[[str], str]) -> Callable[[str], str]:
    def apply(body: str) -> str:
        return "".join(p if _PLACEHOLDER.fullmatch(p) else fn(p)
                       for p in _PLACEHOLDER.split(body))

    return apply


def _per_word(sep: str) -> Callable[[str], str]:
    return lambda text: re.sub(r"[A-Za-z']+", lambda m: sep.join(m.group()), text)


@cache
def _to_traditional() -> dict[int, str]:
    # zhconv's own loader leaves its data file open (a ResourceWarning); read the table directly.
    data = json.loads(resources.files("zhconv").joinpath("zhcdict.json").read_text("utf-8"))
    return {ord(k): v for k, v in data["zh2Hant"].items() if len(k) == 1 and len(v) == 1}


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


EN_TRANSFORMS: dict[str, Callable[[str], str]] = {
    "hyphenated letters": _per_word("-"),
    "dotted letters": _per_word("."),
    "zero-width inside words": _per_word("\u200b"),
    "spaced letters": lambda t: _per_word(" ")(re.sub(r" +", "   ", t)),
    "full-width": _fullwidth,
    "cyrillic homoglyphs": lambda t: t.translate(_CYRILLIC),
    "leetspeak": lambda t: t.translate(_LEET),
    "upper case": str.upper,
}
ZH_TRANSFORMS: dict[str, Callable[[str], str]] = {
    "dots between characters": lambda t: ".".join(t),
    "spaces between characters": lambda t: " ".join(t),
    "zero-width between characters": lambda t: "\u200c".join(t),
    "traditional characters": lambda t: t.translate(_to_traditional()),
    "full-width": _fullwidth,
}


def _cases() -> list[tuple[str, str, Callable[[str], str]]]:
    out = []
    for name, fn in EN_TRANSFORMS.items():
        out.append(("en", name, fn))
    for name, fn in ZH_TRANSFORMS.items():
        out.append(("zh-CN", name, fn))
    return out


@pytest.mark.parametrize(("locale", "name", "transform"), _cases(),
                         ids=[f"{c[0]}:{c[1]}" for c in _cases()])
def test_transformed_corpus(locale: str, name: str, transform: Callable[[str], str]) -> None:
    rows = [r for r in load_corpus() if r["locale"] == locale]
    apply = outside_placeholders(transform)
    missed, alarms = [], []
    for r in rows:
        if name in _PER_LETTER and _ALREADY_SPELLED.search(r["body"]):
            continue
        body = apply(r["body"])
        found = {f.category.value for f in lint(body, locale=locale, audience=r["audience"],
                                                channel=r["channel"])}
        if r["expect"] - found:
            missed.append((body, sorted(r["expect"]), sorted(found)))
        if not r["expect"] and found:
            alarms.append((body, sorted(found)))
    compliant = sum(1 for r in rows if not r["expect"])
    assert not missed, missed
    assert len(alarms) / compliant < 0.03, alarms


def test_spans_point_at_the_obfuscated_original() -> None:
    body = "Pay or face J.A.I.L today"
    (finding,) = lint(body, locale="en", audience="borrower", channel=None)
    assert body[slice(*finding.span)] == "J.A.I.L"
    body = "请转告{name}尽快归还{amount}"
    spans = [body[slice(*f.span)] for f in lint(body, locale="zh-CN",
                                                 audience="designated_contact", channel=None)]
    assert spans == ["归还", "{amount}"]
