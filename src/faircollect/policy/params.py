"""The rule kinds a pack may use and the parameters each one takes.

A kind is implemented once (scalar in `kinds.py`, vectorised in `vector.py`); packs only choose
parameters. Parameter models forbid unknown keys so a typo in a pack is refused, not ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from faircollect.policy.request import (
    KNOWN_FLAGS,
    Audience,
    Channel,
    ContactSource,
    Outcome,
    Purpose,
    clock_seconds,
)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppliesTo(_Params):
    """Which attempts a rule looks at; an omitted list means every value."""

    channels: tuple[Channel, ...] | None = None
    audiences: tuple[Audience, ...] | None = None
    purposes: tuple[Purpose, ...] | None = None
    # The attempt's contact person's relation (an attempt to the borrower has none): only
    # these, or all but these. A spouse is the consumer under 12 CFR 1006.6(a)(1), so US
    # third-party rules skip spouses and consumer rules name them.
    relations: tuple[str, ...] | None = None
    except_relations: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _one_relation_filter(self) -> AppliesTo:
        if self.relations is not None and self.except_relations is not None:
            raise ValueError("give relations or except_relations, not both")
        return self


class ContactHours(_Params):
    """Contact only inside [start, end) local time, or inside a window the borrower agreed."""

    start: str
    end: str
    honour_agreed_windows: bool = True
    # The rule does not apply once the account is more than this many days past due (the
    # Philippine SEC MC 18 exception); None: it always applies.
    waived_over_days_past_due: int | None = Field(default=None, ge=0)

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v: str) -> str:
        clock_seconds(v)
        return v

    @model_validator(mode="after")
    def _order(self) -> ContactHours:
        if clock_seconds(self.start) >= clock_seconds(self.end):
            raise ValueError("contact hours need start before end within one day")
        return self


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HolidayKind = Literal["national_holiday", "collective_leave"]


class ContactDays(_Params):
    """Contact only on these local weekdays and, with a `calendar`, not on its holidays.

    The local day comes from the borrower's IANA zone. A day of a year the calendar does not
    cover fails (fail closed): nobody can say whether it is a holiday.
    """

    weekdays: tuple[Weekday, ...] = Field(min_length=1)
    calendar: str | None = None
    holiday_kinds: tuple[HolidayKind, ...] = ("national_holiday",)

    @field_validator("calendar")
    @classmethod
    def _known_calendar(cls, v: str | None) -> str | None:
        if v is not None:
            from faircollect.errors import ConfigError
            from faircollect.policy.holidays import calendar

            try:
                calendar(v)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return v


LiableAudience = Literal["guarantor", "co_maker"]


class LiableParty(_Params):
    """A guarantor or co-maker attempt goes only to a person who signed for the loan.

    The contact must be known to the request, carry the attempt's audience as its relation
    (`guarantor` or `co_maker`) and come from one of `sources`; and the pack must serve that
    audience (`served`, filled by the loader from the pack's `liable_parties:` key, so a pack
    that says nothing about guarantors never contacts one).
    """

    served: tuple[LiableAudience, ...] = ()
    sources: tuple[ContactSource, ...] = ("borrower_designated",)

    @field_validator("sources")
    @classmethod
    def _no_harvest(cls, v: tuple[ContactSource, ...]) -> tuple[ContactSource, ...]:
        if "address_book" in v:
            raise ValueError("address_book contacts may never be allowed")
        return v


class HistoryFilter(_Params):
    channels: tuple[Channel, ...] | None = None
    audiences: tuple[Audience, ...] | None = None
    outcomes: tuple[Outcome, ...] | None = None


class CountedCap(_Params):
    """Deny once `limit` earlier matching attempts fall in the window.

    `window: local_day` counts since the borrower's local midnight; `local_days` counts the
    borrower's last `days` local calendar days, today included (Regulation F's "period of
    seven consecutive days", which a DST week keeps at seven days whatever its hours);
    `rolling` counts the last `window_hours`. With an outcome filter this is the 'after a conversation' rule; with
    `scope: target` it counts per number (the borrower, or the same contact person whatever
    audience label the earlier attempt carried).
    """

    limit: int = Field(ge=1)
    window: Literal["local_day", "local_days", "rolling"]
    window_hours: int | None = Field(default=None, ge=1)
    days: int | None = Field(default=None, ge=1, le=31)
    scope: Literal["case", "target"] = "case"
    count: HistoryFilter = HistoryFilter()

    @model_validator(mode="after")
    def _hours(self) -> CountedCap:
        if (self.window == "rolling") != (self.window_hours is not None):
            raise ValueError("window_hours is required for a rolling window and only there")
        if (self.window == "local_days") != (self.days is not None):
            raise ValueError("days is required for a local_days window and only there")
        return self


class ConsentRequired(_Params):
    """A contact person needs a valid consent with `purpose` for them.

    Covers every `designated_contact` attempt, and any other contact-person attempt whose
    contact came from one of `sources` (a borrower-designated person stays one when an attempt
    labels them `third_party`).
    """

    purpose: str = "contact_designated_contact"
    sources: tuple[ContactSource, ...] = ("borrower_designated",)


class ContactSourceRule(_Params):
    """The sources a contact person may come from, per audience; other sources are refused."""

    allowed: dict[Audience, tuple[ContactSource, ...]]

    @field_validator("allowed")
    @classmethod
    def _no_harvest(
        cls, v: dict[Audience, tuple[ContactSource, ...]]
    ) -> dict[Audience, tuple[ContactSource, ...]]:
        # The house baseline never allows harvested address-book numbers; no pack may either.
        if any("address_book" in sources for sources in v.values()):
            raise ValueError("address_book contacts may never be allowed")
        return v


class BorrowerUnreachable(_Params):
    min_days: int = Field(ge=0)


class NoParams(_Params):
    pass


class ThirdPartyPurpose(_Params):
    allowed_purposes: tuple[Purpose, ...]


class OnceOnly(_Params):
    outcomes: tuple[Outcome, ...] = ("connected", "delivered")


class PriorNotice(_Params):
    kinds: tuple[str, ...] = Field(min_length=1)
    min_days: int = Field(ge=0)


class HoldFlags(_Params):
    flags: tuple[str, ...] = Field(min_length=1)

    @field_validator("flags")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(v) - set(KNOWN_FLAGS))
        if unknown:
            raise ValueError(f"unknown flags {unknown}")
        return v


class Cease(_Params):
    """A cease request (`flag`) stops contact; an opted-out channel is not used. A pack may
    cite the two separately (Regulation F: 1006.6(c) and 1006.14(h)(1))."""

    flag: str = "cease_requested"
    cease_request: bool = True
    channel_opt_out: bool = True

    @model_validator(mode="after")
    def _something(self) -> Cease:
        if not (self.cease_request or self.channel_opt_out):
            raise ValueError("a cease rule checks the cease request, the channel opt-out or both")
        return self


class TemplateApproval(_Params):
    required_for: tuple[Channel, ...] = ()


LintCategory = Literal[
    "THREAT",
    "INSULT",
    "FALSE_LEGAL",
    "IMPERSONATION",
    "THIRD_PARTY_DISCLOSURE",
    "EXPOSURE_THREAT",
    "OPT_OUT_MISSING",
]


class Content(_Params):
    blocking: tuple[LintCategory, ...] = Field(min_length=1)
    require_opt_out: tuple[Channel, ...] = ()


class Disclosure(_Params):
    """A person other than the borrower must not learn of the debt."""

    disclosing_purposes: tuple[Purpose, ...] = ("reminder", "collection")


class ActorTraining(_Params):
    """The person making the contact holds a valid training completion for the jurisdiction.

    Reads the request's optional `actor`: an actor of one of `actors` whose `training_valid`
    is not true (false, or unknown) fails; no actor (the system itself) passes, so requests
    without an actor are decided as before.
    """

    actors: tuple[Literal["collector", "agency"], ...] = ("collector", "agency")


PARAMS: dict[str, type[_Params]] = {
    "contact_hours": ContactHours,
    "contact_days": ContactDays,
    "liable_party": LiableParty,
    "counted_cap": CountedCap,
    "consent_required": ConsentRequired,
    "contact_source": ContactSourceRule,
    "borrower_unreachable": BorrowerUnreachable,
    "contact_refused": NoParams,
    "third_party_purpose": ThirdPartyPurpose,
    "once_only": OnceOnly,
    "prior_notice": PriorNotice,
    "hold_flags": HoldFlags,
    "unknown_flags": NoParams,
    "cease": Cease,
    "template_approval": TemplateApproval,
    "content": Content,
    "disclosure": Disclosure,
    "actor_training": ActorTraining,
}

# Kinds that concern a person other than the borrower: they never apply to borrower attempts.
THIRD_PARTY_KINDS = frozenset(
    {
        "consent_required",
        "contact_source",
        "borrower_unreachable",
        "contact_refused",
        "third_party_purpose",
        "once_only",
        "disclosure",
        "liable_party",
    }
)
