from decimal import Decimal

import pytest

from faircollect.errors import InputError
from faircollect.ledger import Money, minor_units
from faircollect.ledger.money import div_round_half_up, parse_decimal


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("10.05", "USD", 1005),
        ("10", "USD", 1000),
        ("10.050", "USD", 1005),  # trailing zeros are not extra precision
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("0.01", "CNY", 1),
        (" 7.5 ", "GBP", 750),
        (Decimal("3.10"), "EUR", 310),
    ],
)
def test_parse_scales_to_minor_units(text: object, currency: str, minor: int) -> None:
    money = Money.parse(text, currency)
    assert money.minor == minor
    assert money.currency == currency


def test_amount_has_the_currency_places() -> None:
    assert Money.parse("10.5", "USD").amount == Decimal("10.50")
    assert str(Money.parse("10.5", "USD").amount) == "10.50"
    assert str(Money(1500, "JPY").amount) == "1500"
    assert str(Money(1, "KWD")) == "0.001 KWD"


def test_minor_units_follow_iso_4217() -> None:
    assert minor_units("CNY") == 2
    assert minor_units("JPY") == 0
    assert minor_units("BHD") == 3


@pytest.mark.parametrize("value", [10.05, 0.1, True])
def test_floats_are_refused_naming_the_field(value: object) -> None:
    with pytest.raises(InputError) as caught:
        Money.parse(value, "USD", field="principal")
    assert caught.value.fields["field"] == "principal"
    assert "principal" in str(caught.value)


@pytest.mark.parametrize("text", ["", "abc", "1e3", "1,000.00", "10.", ".5", "--1", "NaN"])
def test_junk_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="amount"):
        Money.parse(text, "USD", field="amount")


def test_more_places_than_the_currency_has_is_an_error_not_a_rounding() -> None:
    with pytest.raises(InputError, match="decimal places"):
        Money.parse("10.005", "USD")
    with pytest.raises(InputError, match="decimal places"):
        Money.parse("100.5", "JPY")


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(InputError, match="currency"):
        Money.parse("1", "XYZ")
    with pytest.raises(InputError):
        Money(1, "usd")


def test_currencies_do_not_mix() -> None:
    with pytest.raises(InputError, match="USD"):
        _ = Money(1, "USD") + Money(1, "EUR")
    assert Money(150, "USD") - Money(50, "USD") == Money(100, "USD")


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 2, 3), (3, 2, 2), (7, 3, 2), (8, 3, 3), (-5, 2, -3), (0, 7, 0), (25, 10, 3), (24, 10, 2)],
)
def test_half_up_rounding(numerator: int, denominator: int, expected: int) -> None:
    # Half a unit goes up (away from zero); banker's rounding would give 2 for 5/2.
    assert div_round_half_up(numerator, denominator) == expected


def test_parse_decimal_keeps_exact_value() -> None:
    assert parse_decimal("0.0435", field="annual_rate") == Decimal("0.0435")
    assert parse_decimal(3, field="x") == Decimal(3)
    with pytest.raises(InputError):
        parse_decimal(Decimal("Infinity"), field="x")
