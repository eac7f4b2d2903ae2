"""The decision request: everything the rules need, as spec/decision-api.md defines it.

Validation is strict on purpose: an unknown channel, a time without an offset or an unknown
time zone is an error naming the field, never a silent default. Flags are the one open set:
an unknown flag is accepted here and denied by the pack (fail closed), so that a new flag
raised upstream stops contact instead of breaking the batch.

Every instant is normalised to UTC on parsing so the rules compare like with like quickly.

Additions for the IN, NG, PH, KE and ID packs (strictly additive: every earlier request is still
valid and decided as before):
- jurisdictions IN, NG, PH, KE, ID (any string is accepted here; the pack resolver refuses an
  unknown one);
- audiences `guarantor` and `co_maker` (people who signed for the loan), with the contact
  `relation` of the same name; only a pack whose `liable_parties` name the audience contacts
  them (house rule HOUSE-LIABLE-PARTY);
- no new field for the local weekday or public holidays: both come from `borrower.timezone`
  and the pack's holiday calendar (`policy/calendars/`); a year the calendar does not cover
  denies;
- `actor` (optional): who would make the contact, `{"id", "kind", "training_valid"}`, as the
  shared contract names it; absent means the system. The house rule HOUSE-TRAINING reads it:
  a collector or agency whose `training_valid` is not true is denied (governance/training).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from faircollect.errors import InputError
from faircollect.instants import to_utc

# The contract's vocabulary, re-exported for the policy modules.
from faircollect.vocabulary import ATTEMPT_PURPOSES as ATTEMPT_PURPOSES
from faircollect.vocabulary import AUDIENCES as AUDIENCES
from faircollect.vocabulary import CHANNELS as CHANNELS
from faircollect.vocabulary import CONTACT_SOURCES as CONTACT_SOURCES
from faircollect.vocabulary import FLAGS as FLAGS
from faircollect.vocabulary import OUTCOMES as OUTCOMES
from faircollect.vocabulary import AttemptPurpose as AttemptPurpose
from faircollect.vocabulary import Audience as Audience
from faircollect.vocabulary import Channel as Channel
from faircollect.vocabulary import ContactSource as ContactSource
from faircollect.vocabulary import Outcome as Outcome

Purpose = AttemptPurpose
PURPOSES = ATTEMPT_PURPOSES
SOURCES = CONTACT_SOURCES
# The flags the contract names. Anything else is unknown and the packs deny it.
KNOWN_FLAGS = FLAGS

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _utc(value: datetime) -> datetime:
    return to_utc(value)  # ValueError (a validation error naming the field) on overflow


Instant = Annotated[AwareDatetime, AfterValidator(_utc)]


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; raises ValueError when there is none."""
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        raise ValueError(f"{name!r} is not an IANA time zone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


@lru_cache(maxsize=4096)
def clock_seconds(text: str) -> int:
    """Seconds after local midnight of an 'HH:MM' clock time; ValueError when malformed."""
    m = _HHMM.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a 24-hour HH:MM time")
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Template(_Model):
    id: str = Field(min_length=1)
    approved: bool
    locale: str = Field(min_length=1)
    body: str | None = None


class Attempt(_Model):
    channel: Channel
    audience: Audience
    purpose: Purpose
    contact_id: str | None = None
    template: Template | None = None

    @model_validator(mode="after")
    def _contact_needed(self) -> Attempt:
        if self.audience != "borrower" and not self.contact_id:
            raise ValueError("contact_id is required unless audience is borrower")
        return self


class AgreedWindow(_Model):
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v: str) -> str:
        clock_seconds(v)
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> AgreedWindow:
        if self.start == self.end:
            raise ValueError("an agreed window needs end different from start")
        return self

    @property
    def start_s(self) -> int:
        return clock_seconds(self.start)

    @property
    def end_s(self) -> int:
        return clock_seconds(self.end)


class Borrower(_Model):
    timezone: str
    days_past_due: int
    unreachable_since: Instant | None = None
    flags: tuple[str, ...] = ()
    opted_out_channels: tuple[Channel, ...] = ()
    agreed_windows: tuple[AgreedWindow, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        zone(v)
        return v

    @field_validator("flags")
    @classmethod
    def _flags(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not f for f in v):
            raise ValueError("a flag must be a non-empty string")
        return v


class Contact(_Model):
    id: str = Field(min_length=1)
    relation: str
    source: ContactSource
    refused_contact: bool = False


class Consent(_Model):
    purpose: str = Field(min_length=1)
    contact_id: str | None = None
    granted_at: Instant
    expires_at: Instant | None = None
    withdrawn_at: Instant | None = None


class HistoryEntry(_Model):
    at: Instant
    channel: Channel
    audience: Audience
    contact_id: str | None = None
    outcome: Outcome


class Notice(_Model):
    at: Instant
    kind: str = Field(min_length=1)


class Actor(_Model):
    """Who would make the contact (optional; absent means the system itself)."""

    id: str | None = None
    kind: Literal["collector", "agency", "system"] = "system"
    training_valid: bool | None = None


class DecisionRequest(_Model):
    """One contact attempt with all the context needed to decide it."""

    jurisdiction: str = Field(min_length=1)
    at: Instant
    attempt: Attempt
    borrower: Borrower
    contacts: tuple[Contact, ...] = ()
    consents: tuple[Consent, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    notices: tuple[Notice, ...] = ()
    actor: Actor | None = None

    @model_validator(mode="after")
    def _unique_contacts(self) -> DecisionRequest:
        ids = [c.id for c in self.contacts]
        if len(ids) != len(set(ids)):
            raise ValueError("contacts: each contact id may appear once")
        return self

    def at_time(self, at: datetime) -> DecisionRequest:
        """The same attempt at another instant (used to search for the next allowed time)."""
        return self.model_copy(update={"at": at.astimezone(UTC)})


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        elif p.startswith(("function-", "tagged-union")):
            continue
        else:
            parts.append(("." if parts else "") + p)
    return "".join(parts) or "(request)"


def parse_request(data: Any, *, where: str | None = None) -> DecisionRequest:
    """Validate one request (a parsed JSON object); InputError names the field on failure."""
    if not isinstance(data, dict):
        raise InputError(f"{where + ': ' if where else ''}a decision request must be a JSON object")
    try:
        return DecisionRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = _field_path(tuple(first["loc"]))
        reason = str(first["msg"]).removeprefix("Value error, ")
        prefix = f"{where}: " if where else ""
        raise InputError(f"{prefix}field {field}: {reason}", field=field) from None
