"""The content seam: which lint finding categories a template body has.

The policy rules only need the categories. `content_lint` adapts the content linter
(`faircollect.content`) and is the default; `builtin_lint` is a small fallback check for the
obvious cases in English and Chinese. Any function with the `Linter` signature can be passed
to `decide`. A linter that fails reports `LINT_ERROR`, which every content rule treats as
blocking (fail closed). `OPT_OUT_MISSING` is reported whenever an electronic message has
no opt-out instruction; whether that blocks is the pack's choice (`require_opt_out`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

# (body, locale, audience, channel) -> the finding categories present in the body.
Linter = Callable[[str, str, str, str], frozenset[str]]

_I = re.IGNORECASE
_PATTERNS: dict[str, re.Pattern[str]] = {
    "THREAT": re.compile(
        r"\b(kill|hurt|beat (you|him|her)|burn|break your|smash|we know where you live)\b"
        r"|弄死|打断|砍死|烧了|揍你|后果自负|小心你的家人",
        _I,
    ),
    "INSULT": re.compile(
        r"\b(lowlife|loser|scum|idiot|stupid|deadbeat|thief|liar|worthless)\b"
        r"|骗子|老赖|废物|垃圾|无耻|不要脸|人渣",
        _I,
    ),
    "FALSE_LEGAL": re.compile(
        r"\b(arrest(ed)?|jail|prison|criminal (charges?|record)|warrant|blacklist(ed)?)\b"
        r"|逮捕|拘留|坐牢|判刑|刑事责任|黑名单|立案抓",
        _I,
    ),
    "IMPERSONATION": re.compile(
        r"\b(this is|from|on behalf of) (the )?(police|court|sheriff|fbi|government|"
        r"district attorney)\b|检察院|公安局|警察|法院通知|人民法院",
        _I,
    ),
    "EXPOSURE_THREAT": re.compile(
        r"\b(tell|inform|notify|let|make sure)\b.{0,40}\b(neighbou?rs?|employer|boss|family|"
        r"friends|contacts|colleagues|social media)\b"
        r"|(让|告诉|通知|发给).{0,10}(全家|家人|亲友|朋友|同事|单位|领导|通讯录|邻居)|曝光|朋友圈",
        _I,
    ),
    "THIRD_PARTY_DISCLOSURE": re.compile(
        r"\b(debts?|owes?|owed|overdue|balance|arrears|collections?|repay(ment)?)\b"
        r"|\{amount\}|\{dpd\}|\{due_date\}|欠|逾期|还款|债|催收|账单",
        _I,
    ),
}
_OPT_OUT = re.compile(r"\b(stop|unsubscribe|opt[ -]?out)\b|退订|回复TD|回T退|拒收", _I)
_ELECTRONIC = frozenset({"sms", "email", "app_push"})
LINT_ERROR = "LINT_ERROR"
# A guarantor or co-maker signed for the loan: their messages may speak of the debt, and are
# linted as a borrower's are (threats, insults and the rest still block).
_LIABLE = frozenset({"guarantor", "co_maker"})


def _as_linted(audience: str) -> str:
    return "borrower" if audience in _LIABLE else audience


@lru_cache(maxsize=8192)
def content_lint(body: str, locale: str, audience: str, channel: str) -> frozenset[str]:
    """Finding categories from the content linter; LINT_ERROR when it cannot lint the body."""
    from faircollect.content.linter import lint  # the content part; imported on first use
    from faircollect.errors import FairCollectError

    try:
        findings = lint(body, locale=locale, audience=_as_linted(audience), channel=channel,
                        require_opt_out=channel in _ELECTRONIC)
    except FairCollectError:
        return frozenset({LINT_ERROR})
    return frozenset(f.category.value for f in findings)


@lru_cache(maxsize=4096)
def builtin_lint(body: str, locale: str, audience: str, channel: str) -> frozenset[str]:
    """Finding categories in `body`; disclosure only counts for messages to non-borrowers."""
    found = {
        name
        for name, pattern in _PATTERNS.items()
        if (name != "THIRD_PARTY_DISCLOSURE" or _as_linted(audience) != "borrower")
        and pattern.search(body)
    }
    if channel in _ELECTRONIC and not _OPT_OUT.search(body):
        found.add("OPT_OUT_MISSING")
    return frozenset(found)
