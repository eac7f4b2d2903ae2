"""The content linter: a pure function from a message body to its findings.

No I/O after the first call (lexicons are package data, compiled once and cached), no clock,
no randomness: the same body, locale, audience and channel always give the same findings.
"""

from __future__ import annotations

from faircollect.content.finding import AUDIENCES, Category, Finding
from faircollect.content.lexicon import Lexicon, load
from faircollect.content.normaliser import en_view, fold, zh_view
from faircollect.errors import InputError


def lint(
    body: str,
    *,
    locale: str,
    audience: str,
    channel: str | None,
    require_opt_out: bool | None = None,
) -> list[Finding]:
    """Lint one message body; an empty list means compliant.

    `audience` is borrower | designated_contact | third_party: anything but the borrower must
    not learn of the debt. `require_opt_out=None` takes the lexicon's default for the channel
    (English e-mail and SMS need one); a rule pack passes True or False to decide itself.
    Spans index the original `body`.
    """
    if audience not in AUDIENCES:
        raise InputError(f"unknown audience {audience!r}", field="audience")
    lexicon = load(locale)
    folded = fold(body, lexicon.placeholder_class)
    view = zh_view(folded) if locale == "zh-CN" else en_view(folded, lexicon.masked_words)
    text = view.text
    findings: list[Finding] = []
    for rule in lexicon.rules:
        if audience not in rule.audiences:
            continue
        last_end = -1
        for m in rule.pattern.finditer(text):
            start, end = m.span()
            if start == end or start < last_end or rule.negated(text, start):
                continue
            last_end = end
            findings.append(Finding(
                category=rule.category, rule=rule.id, span=view.to_original(start, end),
                message=rule.message, citation=rule.citation,
            ))
    if _needs_opt_out(lexicon, channel, require_opt_out) and not lexicon.opt_out.pattern.search(
        text
    ):
        o = lexicon.opt_out
        findings.append(Finding(
            category=Category.OPT_OUT_MISSING, rule=o.rule, span=(0, len(body)),
            message=o.message, citation=o.citation,
        ))
    findings.sort(key=lambda f: (f.span[0], f.span[1], f.category.value, f.rule))
    return findings


def lexicon_version(locale: str) -> str:
    """The version of the rules a locale is linted with (recorded with approvals)."""
    return load(locale).version


def _needs_opt_out(lexicon: Lexicon, channel: str | None, require: bool | None) -> bool:
    if require is not None:
        return require
    return channel is not None and channel in lexicon.opt_out.required_channels
