"""A lint finding: what is wrong with a message, where, and which clause it breaks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    """The fixed finding categories of spec/template-lint.md."""

    THREAT = "THREAT"
    INSULT = "INSULT"
    FALSE_LEGAL = "FALSE_LEGAL"
    IMPERSONATION = "IMPERSONATION"
    THIRD_PARTY_DISCLOSURE = "THIRD_PARTY_DISCLOSURE"
    EXPOSURE_THREAT = "EXPOSURE_THREAT"
    OPT_OUT_MISSING = "OPT_OUT_MISSING"


AUDIENCES = ("borrower", "designated_contact", "third_party")
# Locales with a lexicon that was built and measured (docs/content-rules.md gives the figures).
LOCALES = ("zh-CN", "en", "id-ID")
# Languages of the markets where loan apps shame borrowers through their contacts, for which no
# lexicon has been built and tested yet. A template in one of them is refused, never linted with
# another language's rules (an empty or foreign rule set would pass every message).
UNTESTED_LOCALES = {"hi-IN": "Hindi", "fil-PH": "Filipino", "sw-KE": "Swahili"}


def locale_problem(locale: object) -> str | None:
    """Why a template in `locale` cannot be linted, or None when it can."""
    if locale in LOCALES:
        return None
    if isinstance(locale, str) and locale in UNTESTED_LOCALES:
        return (f"locale {locale} ({UNTESTED_LOCALES[locale]}) has no tested lexicon yet, so its "
                f"templates cannot be linted or approved; write the template in one of "
                f"{', '.join(LOCALES)} (docs/content-rules.md)")
    return f"locale must be one of {', '.join(LOCALES)}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule hit.

    `span` is a half-open [start, end) range of code points in the ORIGINAL body, so a reviewer
    (or a console highlighting the text) sees exactly what tripped the rule, even when the match
    was made on the normalised text.
    """

    category: Category
    rule: str
    span: tuple[int, int]
    message: str
    citation: str

    def to_dict(self) -> dict[str, Any]:
        """The finding as the lint contract prints it (category, rule, span, message)."""
        return {
            "category": self.category.value,
            "rule": self.rule,
            "span": [self.span[0], self.span[1]],
            "message": self.message,
        }
