"""Typed records parsed from portfolio rows, each error naming file, line and column.

Personal fields never appear in a repr, and an error names the column, never its value:
with columns swapped, any column may hold a phone number or a national id. As a last
guard, a reason that would repeat any value of its row is replaced by a generic one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from faircollect.errors import InputError, RowError
from faircollect.ledger.money import MINOR_UNITS, Money, parse_decimal
from faircollect.ledger.schedule import MAX_TERM_MONTHS, SCHEDULE_KINDS, LoanTerms
from faircollect.vault.phone import CheckedPhone, check_phone
from faircollect.vocabulary import (
    CHANNELS,
    CONSENT_CHANNELS,
    CONTACT_SOURCES,
    FLAGS,
    JURISDICTIONS,
    LOCALES,
)

DEFAULT_LOCALE = {"CN": "zh-CN", "US": "en", "UK": "en", "IN": "en", "NG": "en", "PH": "en",
                  "KE": "en", "ID": "id-ID"}
SOURCES = CONTACT_SOURCES
PURPOSES = (
    "contact_designated_contact",
    "use_contacts_for_credit_assessment",
    "share_with_collection_agency",
    "industry_data_sharing",
    "electronic_communications",
    "marketing",
)


# Values this short are codes ("CN", "CNY"), which reasons may name; personal data is longer.
_SCRUB_MIN = 4
_HIDDEN = "has a value that is not valid here (the value is not shown: it may be personal data)"


# Amounts stay far inside the store's and the ledger's 64-bit integers (minor units); a
# larger one is a mis-mapped column (an id or a phone number), not a loan.
MAX_MINOR = 10**15


class Row:
    """One row being parsed: knows where it came from, so errors can say so."""

    __slots__ = ("file", "line", "cells", "lines")

    def __init__(
        self,
        file: str,
        line: int,
        cells: dict[str, str],
        lines: dict[str, int] | None = None,
    ) -> None:
        self.file, self.line, self.cells, self.lines = file, line, cells, lines

    def line_of(self, column: str | None) -> int:
        """The physical line `column`'s cell starts on (records may span lines)."""
        if column is None or self.lines is None:
            return self.line
        return self.lines.get(column, self.line)

    def error(self, column: str | None, reason: str) -> RowError:
        lowered = reason.casefold()
        if any(len(v) >= _SCRUB_MIN and v.casefold() in lowered for v in self.cells.values()):
            reason = _HIDDEN
        return RowError(reason, file=self.file, line=self.line_of(column), column=column)

    def text(self, column: str) -> str:
        value = self.cells.get(column)
        if value is None:
            raise self.error(column, "a value is required")
        return value

    def optional(self, column: str) -> str | None:
        return self.cells.get(column)

    def choice(self, column: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.cells.get(column, default)
        if value is None:
            raise self.error(column, "a value is required")
        if value not in allowed:
            raise self.error(column, f"unknown value (allowed: {', '.join(allowed)})")
        return value

    def choices(self, column: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        raw = self.cells.get(column, "")
        items = tuple(sorted({x.strip() for x in raw.split(";") if x.strip()}))
        for item in items:
            if item not in allowed:
                raise self.error(
                    column, f"unknown value in the ';' list (allowed: {', '.join(allowed)})"
                )
        return items

    def instant(self, column: str, *, required: bool = True) -> datetime | None:
        raw = self.cells.get(column)
        if raw is None:
            if required:
                raise self.error(column, "a value is required")
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise self.error(
                column, "is not an ISO 8601 time (e.g. 2026-03-02T14:30:00+08:00)"
            ) from None
        if value.tzinfo is None or value.utcoffset() is None:
            raise self.error(column, "has no UTC offset (write e.g. +08:00 or Z)")
        return value

    def day(self, column: str) -> date:
        raw = self.text(column)
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise self.error(column, "is not an ISO date (YYYY-MM-DD)") from None

    def integer(self, column: str) -> int:
        raw = self.text(column)
        if not raw.lstrip("-").isdigit():
            raise self.error(column, "is not a whole number")
        return int(raw)

    def decimal(self, column: str) -> Decimal:
        try:
            return parse_decimal(self.text(column), field=column)
        except RowError:
            raise
        except InputError:
            raise self.error(
                column, "is not a decimal number (digits, an optional '.' and fraction)"
            ) from None

    def phone(self, column: str, jurisdiction: str) -> CheckedPhone:
        """The number in E.164 form, and whether the numbering plan lists it."""
        try:
            return check_phone(self.text(column), jurisdiction)
        except RowError:
            raise
        except InputError as exc:
            raise self.error(column, exc.message) from None

    def timezone(self, column: str) -> str:
        name = self.text(column)
        if not _known_zone(name):
            raise self.error(column, "is not a known IANA time zone (e.g. Asia/Shanghai)")
        return name


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class BorrowerRecord:
    borrower_id: str
    jurisdiction: str
    timezone: str
    locale: str
    flags: tuple[str, ...]
    opted_out_channels: tuple[str, ...]
    full_name: str = field(repr=False)
    national_id: str = field(repr=False)
    phone: str = field(repr=False)
    email: str | None = field(repr=False)
    line: int = 0
    # A well-formed number the numbering plan does not list (stored as phone_unverified).
    phone_unverified: bool = False

    @classmethod
    def parse(cls, row: Row) -> BorrowerRecord:
        jurisdiction = row.choice("jurisdiction", JURISDICTIONS)
        email = row.optional("email")
        if email is not None and ("@" not in email or " " in email):
            raise row.error("email", "is not an e-mail address")
        phone = row.phone("phone", jurisdiction)
        return cls(
            borrower_id=row.text("borrower_id"),
            jurisdiction=jurisdiction,
            timezone=row.timezone("timezone"),
            locale=row.choice("locale", LOCALES, DEFAULT_LOCALE[jurisdiction]),
            flags=row.choices("flags", FLAGS),
            opted_out_channels=row.choices("opted_out_channels", CHANNELS),
            full_name=row.text("full_name"),
            national_id=row.text("national_id"),
            phone=phone.e164,
            email=email.lower() if email else None,
            line=row.line,
            phone_unverified=not phone.listed,
        )


@dataclass(frozen=True, slots=True)
class ContactRecord:
    contact_id: str
    borrower_id: str
    relation: str
    source: str
    name: str = field(repr=False)
    phone: str = field(repr=False)
    line: int = 0
    phone_unverified: bool = False


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    consent_id: str
    borrower_id: str
    purpose: str
    contact_id: str | None
    granted_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None
    channel: str | None
    policy_version: str | None
    line: int = 0

    @classmethod
    def parse(cls, row: Row) -> ConsentRecord:
        granted = row.instant("granted_at")
        assert granted is not None  # required=True
        expires = row.instant("expires_at", required=False)
        withdrawn = row.instant("withdrawn_at", required=False)
        if expires is not None and expires <= granted:
            raise row.error("expires_at", "must be after granted_at")
        if withdrawn is not None and withdrawn < granted:
            raise row.error("withdrawn_at", "must not be before granted_at")
        purpose = row.choice("purpose", PURPOSES)
        contact_id = row.optional("contact_id")
        if purpose == "contact_designated_contact" and contact_id is None:
            raise row.error("contact_id", f"is required for purpose {purpose}")
        channel = row.optional("channel")
        if channel is not None:
            channel = row.choice("channel", CONSENT_CHANNELS)
        return cls(
            consent_id=row.text("consent_id"),
            borrower_id=row.text("borrower_id"),
            purpose=purpose,
            contact_id=contact_id,
            granted_at=granted,
            expires_at=expires,
            withdrawn_at=withdrawn,
            channel=channel,
            policy_version=row.optional("policy_version"),
            line=row.line,
        )


@dataclass(frozen=True, slots=True)
class LoanRecord:
    loan_id: str
    borrower_id: str
    currency: str
    principal_minor: int
    annual_rate: Decimal
    term_months: int
    disbursed_on: date
    first_due_on: date
    schedule: str
    line: int = 0

    @classmethod
    def parse(cls, row: Row) -> LoanRecord:
        disbursed = row.day("disbursed_on")
        first_due = row.day("first_due_on")
        if first_due <= disbursed:
            raise row.error("first_due_on", "must be after disbursed_on")
        # Each value is checked here first, so that no ledger message (which names the
        # value) can reach the error: with columns swapped it could be a phone number.
        currency = _currency(row, "currency")
        principal = _amount(row, "principal", currency)
        rate = row.decimal("annual_rate")
        if not _whole(rate.scaleb(8)):
            raise row.error("annual_rate", "has more than 8 decimal places")
        if not Decimal(0) <= rate <= Decimal(10):
            raise row.error("annual_rate", "is outside 0 to 10 (1000 %); 0.18 means 18 %")
        term = row.integer("term_months")
        if not 1 <= term <= MAX_TERM_MONTHS:
            raise row.error("term_months", f"is outside 1 to {MAX_TERM_MONTHS}")
        kind = row.choice("schedule", tuple(SCHEDULE_KINDS), "equal_installment")
        try:
            terms = LoanTerms.parse(
                principal=principal.amount,
                currency=currency,
                annual_rate=rate,
                term_months=term,
                first_due_on=first_due,
                kind=kind,
                disbursed_on=disbursed,
            )
        except RowError:
            raise
        except InputError as exc:
            column = str(exc.fields.get("field", "principal"))
            raise row.error(column, "is not valid for a loan") from None
        return cls(
            loan_id=row.text("loan_id"),
            borrower_id=row.text("borrower_id"),
            currency=terms.principal.currency,
            principal_minor=terms.principal.minor,
            annual_rate=terms.annual_rate,
            term_months=terms.term_months,
            disbursed_on=disbursed,
            first_due_on=first_due,
            schedule=terms.kind,
            line=row.line,
        )


def _currency(row: Row, column: str) -> str:
    code = row.text(column)
    if code not in MINOR_UNITS:
        raise row.error(column, "is not a known ISO 4217 currency code (e.g. CNY, USD, GBP)")
    return code


def _amount(row: Row, column: str, currency: str) -> Money:
    value = row.decimal(column)
    places = MINOR_UNITS[currency]
    scaled = value.scaleb(places)
    if not _whole(scaled):
        raise row.error(column, f"has more than {places} decimal places for {currency}")
    if abs(scaled) > MAX_MINOR:
        limit = Money(MAX_MINOR, currency).amount
        raise row.error(column, f"is too large (at most {limit:,} {currency})")
    return Money(int(scaled), currency)


def _whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    payment_id: str
    loan_id: str
    paid_on: date
    amount_minor: int
    line: int = 0

    @classmethod
    def parse(cls, row: Row, currency: str) -> PaymentRecord:
        money = _amount(row, "amount", currency)
        if money.minor <= 0:
            raise row.error("amount", "must be positive")
        return cls(
            row.text("payment_id"), row.text("loan_id"), row.day("paid_on"), money.minor, row.line
        )
