"""The content linter: a pure function from a message body to its findings.

No I/O after the first call (lexicons are package data, compiled once and cached), no clock,
no randomness: the same body, locale, audience and channel always give the same findings, so
results are memoised per distinct input (templates repeat; a hit costs a dictionary lookup).

Speed: the body is folded and viewed once; one literal scan (`prefilter`) tells which rule
branches can match at all, and only those run. Leaving out a branch that cannot match changes
no match, so the findings are those of running every rule in full (a test holds this).
"""

from __future__ import annotations

from functools import lru_cache

from faircollect.content.finding import AUDIENCES, Category, Finding
from faircollect.content.lexicon import Lexicon, load
from faircollect.content.normaliser import en_view, fold, zh_view
from faircollect.errors import InputError

_CACHE_SIZE = 8192


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
    return list(_lint_cached(body, locale, audience, channel, require_opt_out))


@lru_cache(maxsize=_CACHE_SIZE)
def _lint_cached(
    body: str, locale: str, audience: str, channel: str | None, require_opt_out: bool | None
) -> tuple[Finding, ...]:
    return tuple(lint_uncached(body, locale=locale, audience=audience, channel=channel,
                               require_opt_out=require_opt_out))


def lint_uncached(
    body: str,
    *,
    locale: str,
    audience: str,
    channel: str | None,
    require_opt_out: bool | None = None,
    prefilter: bool = True,
) -> list[Finding]:
    """`lint` without the memo; `prefilter=False` runs every rule branch (the reference)."""
    if audience not in AUDIENCES:
        raise InputError(f"unknown audience {audience!r}", field="audience")
    lexicon = load(locale)
    folded = fold(body, lexicon.placeholder_class)
    view = zh_view(folded) if locale == "zh-CN" else en_view(folded, lexicon.masked_words)
    text = view.text
    findings: list[Finding] = []
    enabled = lexicon.candidates(text) if prefilter else [-1] * len(lexicon.rules)
    for rule, mask in zip(lexicon.rules, enabled, strict=True):
        if not mask or audience not in rule.audiences:
            continue
        pattern = rule.restricted(mask) if mask != -1 else rule.pattern
        last_end = -1
        for m in pattern.finditer(text):
            start, end = m.span()
            if start == end or start < last_end or rule.negated(text, start):
                continue
            last_end = end
            findings.append(Finding(
                category=rule.category, rule=rule.id, span=view.to_original(start, end),
                message=rule.message, citation=rule.citation,
            ))
    sym = lexicon.symbols
    if sym is not None:
        findings += [Finding(category=sym.category, rule=sym.rule, span=m.span(),
                             message=sym.message, citation=sym.citation)
                     for m in sym.pattern.finditer(body)][:1]  # one finding says enough
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
