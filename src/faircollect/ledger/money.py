"""Money: exact decimal amounts in a currency's minor units.

Amounts are `Decimal` in the API and `int` minor units (cents, fen, pence; yen have none)
inside the arithmetic, so every sum is exact. Floats are refused everywhere: a float such as
0.1 cannot hold a cent exactly, and a ledger that is off by one fen is wrong.

Rounding is ROUND_HALF_UP (half a minor unit goes away from zero). Lenders' published
repayment tables, regulators' worked examples and borrowers' hand calculators all round that
way, so a borrower can check each installment by hand; banker's rounding would only remove a
bias in large aggregates, and the schedule already pushes every rounding residue into the
last installment, so no bias accumulates in a loan's principal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from faircollect.errors import InputError

# ISO 4217 minor units (exponent) of the currencies lenders use. Currencies not listed here
# are refused rather than guessed: a wrong exponent scales every amount by 10 or 100.
_TWO_PLACES = (
    "AED ARS AUD BDT BGN BRL CAD CHF CNY COP CZK DKK EGP EUR GBP GHS HKD HUF IDR ILS INR KES "
    "MAD MXN MYR NGN NOK NZD PEN PHP PKR PLN QAR RON RUB SAR SEK SGD THB TRY TWD UAH USD ZAR"
)
_NO_PLACES = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_PLACES = "BHD IQD JOD KWD LYD OMR TND"
MINOR_UNITS: Final[dict[str, int]] = {
    code: places
    for codes, places in ((_TWO_PLACES, 2), (_NO_PLACES, 0), (_THREE_PLACES, 3))
    for code in codes.split()
}

# A plain decimal string: digits, an optional point and fraction, an optional leading minus.
# No exponent, no grouping separators, no spaces: what portfolio files are required to hold.
_DECIMAL_TEXT: Final = re.compile(r"-?\d+(\.\d+)?")


def minor_units(currency: str) -> int:
    """Return the number of decimal places of `currency` (ISO 4217), or raise InputError."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise InputError(f"unknown currency {currency!r}", field="currency") from None


def div_round_half_up(numerator: int, denominator: int) -> int:
    """Divide two integers and round half away from zero, exactly (no float, no Decimal)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient = (2 * abs(numerator) + denominator) // (2 * denominator)
    return quotient if numerator >= 0 else -quotient


def parse_decimal(value: object, *, field: str) -> Decimal:
    """Read a decimal from a string or Decimal; refuse floats, exponents and junk.

    `field` names the input column in the error, e.g. "principal" or "amount".
    """
    if isinstance(value, bool | float):
        raise InputError(f"{field}: give a decimal string, not a float ({value!r})", field=field)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InputError(f"{field}: {value} is not a finite amount", field=field)
        return value
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL_TEXT.fullmatch(text):
            try:
                return Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern admits only valid text
                pass
        raise InputError(f"{field}: {value!r} is not a decimal number", field=field)
    raise InputError(f"{field}: expected a decimal string, got {type(value).__name__}", field=field)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency, held as an integer count of minor units."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        minor_units(self.currency)  # validates the currency once, at construction

    @classmethod
    def parse(cls, value: object, currency: str, *, field: str = "amount") -> Money:
        """Parse a decimal string (or Decimal) in `currency`.

        More decimal places than the currency has is an error, not a silent rounding:
        "10.005" USD is a data problem the lender must see.
        """
        places = minor_units(currency)
        amount = parse_decimal(value, field=field)
        scaled = amount.scaleb(places)
        if scaled != scaled.to_integral_value():
            raise InputError(
                f"{field}: {value} has more than {places} decimal places for {currency}",
                field=field,
            )
        return cls(int(scaled), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return nothing of `currency`."""
        return cls(0, currency)

    @property
    def amount(self) -> Decimal:
        """The amount as a Decimal with exactly the currency's decimal places."""
        return Decimal(self.minor).scaleb(-minor_units(self.currency))

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InputError(
                f"cannot combine {self.currency} with {other.currency}", field="currency"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __bool__(self) -> bool:
        return self.minor != 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
