"""The decision: allowed or not, every failing rule with its citation, and when to retry."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class Category(StrEnum):
    """The fixed violation categories of spec/decision-api.md, shared by every pack."""

    HOURS = "HOURS"
    FREQUENCY = "FREQUENCY"
    CONSENT = "CONSENT"
    THIRD_PARTY = "THIRD_PARTY"
    DISCLOSURE = "DISCLOSURE"
    CONTENT = "CONTENT"
    CEASE = "CEASE"
    HOLD = "HOLD"
    PRIOR_NOTICE = "PRIOR_NOTICE"
    TEMPLATE = "TEMPLATE"


CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)


class Violation(BaseModel):
    """One failing rule."""

    model_config = ConfigDict(frozen=True)

    rule: str
    category: Category
    citation: str
    message: str


class Decision(BaseModel):
    """The answer for one request; `next_allowed_at` carries the borrower's local offset."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    violations: tuple[Violation, ...]
    next_allowed_at: str | None
    pack: str

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON shape."""
        return {
            "allowed": self.allowed,
            "violations": [
                {
                    "rule": v.rule,
                    "category": v.category.value,
                    "citation": v.citation,
                    "message": v.message,
                }
                for v in self.violations
            ],
            "next_allowed_at": self.next_allowed_at,
            "pack": self.pack,
        }
