"""Import's phone check: listed numbers normalise, well-formed unlisted ones are flagged,
impossible ones are refused without the number in the message."""

from __future__ import annotations

import pytest

from faircollect.errors import InputError
from faircollect.vault.phone import check_phone, normalise_phone


@pytest.mark.parametrize(
    ("raw", "jurisdiction", "e164"),
    [
        ("138 1234 5699", "CN", "+8613812345699"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("07911 123456", "UK", "+447911123456"),
        ("+86 174 0012 3456", "CN", "+8617400123456"),
    ],
)
def test_listed_numbers(raw: str, jurisdiction: str, e164: str) -> None:
    checked = check_phone(raw, jurisdiction)
    assert (checked.e164, checked.listed) == (e164, True)
    assert checked.e164 == normalise_phone(raw, jurisdiction)
    assert e164 not in repr(checked)


@pytest.mark.parametrize(
    ("raw", "jurisdiction", "e164"),
    [
        ("174 9123 4567", "CN", "+8617491234567"),  # a 174 range the plan does not list (yet)
        ("+86 174-9123-4567", "US", "+8617491234567"),
        ("+1 555 555 0143", "US", "+15555550143"),
    ],
)
def test_well_formed_unlisted_numbers_are_flagged(raw: str, jurisdiction: str, e164: str) -> None:
    with pytest.raises(InputError):
        normalise_phone(raw, jurisdiction)  # the strict check still refuses them
    checked = check_phone(raw, jurisdiction)
    assert (checked.e164, checked.listed) == (e164, False)


@pytest.mark.parametrize(
    ("raw", "jurisdiction", "reason"),
    [
        ("12345", "CN", "too few digits"),
        ("1381234569912", "CN", "too many digits"),
        ("110101199003071234", "CN", "too many digits"),  # a national id in the phone column
        ("11010119900307123X", "CN", "is not a phone number"),
        ("Ann Lee", "UK", "is not a phone number"),
        ("ann@example.com", "UK", "is not a phone number"),
        ("2026-01-01", "CN", "is not a phone number"),
        ("Asia/Shanghai", "CN", "is not a phone number"),
        ("b-0000001", "CN", "is not a phone number"),
        ("+999 1234567", "CN", "unknown country calling code"),
        ("1234567890", "US", "does not fit the +1 (US) numbering plan"),
        ("+44 7911 12345", "UK", "does not fit the +44 (GB) numbering plan"),
    ],
)
def test_impossible_numbers_are_refused_without_the_value(
    raw: str, jurisdiction: str, reason: str
) -> None:
    with pytest.raises(InputError) as err:
        check_phone(raw, jurisdiction)
    assert reason in err.value.message
    digits = "".join(ch for ch in raw if ch.isdigit())
    assert raw not in err.value.message
    assert len(digits) < 5 or digits not in err.value.message
