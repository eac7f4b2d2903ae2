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
LOCALES = ("zh-CN", "en", "id-ID")


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
