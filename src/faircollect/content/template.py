"""Template values: what an author submits, and a stored version with its review state."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from faircollect.content.finding import AUDIENCES, locale_problem
from faircollect.content.rendering import placeholders
from faircollect.errors import InputError
from faircollect.vocabulary import JURISDICTIONS

CHANNELS = ("call", "sms", "email", "letter", "visit", "app_push")
PURPOSES = ("reminder", "collection", "locate")
COMPLIANCE_ROLE = "compliance"


class State(StrEnum):
    """draft -> in_review -> approved -> retired (in_review -> draft when rejected)."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, and the roles they hold (supplied by the caller until `access` owns roles)."""

    actor_id: str
    roles: frozenset[str] = frozenset()

    def has(self, role: str) -> bool:
        """True when the actor holds `role`."""
        return role in self.roles


@dataclass(frozen=True, slots=True)
class TemplateDraft:
    """An author's template text and metadata, validated on construction."""

    template_id: str
    locale: str
    audience: str
    purpose: str
    body: str
    channel: str | None = None
    jurisdiction: str | None = None

    def __post_init__(self) -> None:
        if not self.template_id or len(self.template_id) > 64 or not self.template_id.replace(
            "-", "").replace("_", "").replace(".", "").isalnum():
            raise InputError("template id: 1-64 letters, digits, '-', '_' or '.'", field="id")
        why = locale_problem(self.locale)
        if why is not None:
            raise InputError(why, field="locale")
        if self.audience not in AUDIENCES:
            raise InputError(f"audience must be one of {', '.join(AUDIENCES)}", field="audience")
        if self.purpose not in PURPOSES:
            raise InputError(f"purpose must be one of {', '.join(PURPOSES)}", field="purpose")
        if self.channel is not None and self.channel not in CHANNELS:
            raise InputError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
        if self.jurisdiction is not None and self.jurisdiction not in JURISDICTIONS:
            raise InputError(f"jurisdiction must be one of {', '.join(JURISDICTIONS)}",
                             field="jurisdiction")
        if not self.body.strip():
            raise InputError("body is empty", field="body")
        placeholders(self.body)  # malformed braces are refused at the door


@dataclass(frozen=True, slots=True)
class Template:
    """One stored version of a template."""

    template_id: str
    version: int
    locale: str
    channel: str | None
    audience: str
    purpose: str
    jurisdiction: str | None
    body: str
    body_sha256: str
    state: State
    author: str
    created_at: datetime
    submitted_by: str | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    lexicon_version: str | None = None
    retired_by: str | None = None
    retired_at: datetime | None = None

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The named placeholders the body uses."""
        return placeholders(self.body)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (timestamps as ISO 8601)."""
        out: dict[str, Any] = {}
        for field in fields(self):
            v = getattr(self, field.name)
            out[field.name] = v.isoformat() if isinstance(v, datetime) else (
                v.value if isinstance(v, State) else v)
        return out
