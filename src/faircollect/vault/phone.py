"""Phone numbers: parse, validate and normalise to E.164 with `phonenumbers`.

`phonenumbers` costs about 0.15 ms a number, which dominates a large import. The common
case (a number of the borrower's own region written with digits and the usual separators)
takes a fast path that applies the same metadata patterns `phonenumbers` uses for mobile
and fixed-line numbers; anything the fast path does not accept goes to the library, which
decides. A Hypothesis test holds the two equal.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata

from faircollect.errors import InputError

# Default region per jurisdiction for numbers written without a country code.
REGION = {"CN": "CN", "US": "US", "UK": "GB"}
_SEPARATORS = str.maketrans("", "", " -().")
_PLAIN = re.compile(r"\+?\d{6,17}")


class _RegionRules:
    """The metadata patterns of one region, compiled once."""

    def __init__(self, region: str) -> None:
        md = PhoneMetadata.metadata_for_region(region)
        assert md is not None and md.general_desc is not None
        self.country_code = str(md.country_code)
        self.national_prefix = md.national_prefix or ""
        self.general = re.compile(md.general_desc.national_number_pattern or "")
        self.types = [
            (re.compile(desc.national_number_pattern), frozenset(desc.possible_length or ()))
            for desc in (md.mobile, md.fixed_line)
            if desc is not None and desc.national_number_pattern
        ]

    def valid_national(self, national: str) -> bool:
        if not self.general.fullmatch(national):
            return False
        return any(
            len(national) in lengths and pattern.fullmatch(national)
            for pattern, lengths in self.types
        )

    def e164(self, digits: str) -> str | None:
        """The E.164 form when the digits are certainly a valid number of this region."""
        if digits.startswith("+"):
            if not digits.startswith("+" + self.country_code):
                return None
            national = digits[1 + len(self.country_code) :]
            return f"+{self.country_code}{national}" if self.valid_national(national) else None
        if self.national_prefix and digits.startswith(self.national_prefix):
            return None  # trunk prefixes have region-specific parsing rules: let the library decide
        return f"+{self.country_code}{digits}" if self.valid_national(digits) else None


@lru_cache(maxsize=8)
def _rules(region: str) -> _RegionRules:
    return _RegionRules(region)


def _fast(raw: str, region: str) -> str | None:
    digits = raw.translate(_SEPARATORS)
    if not _PLAIN.fullmatch(digits):
        return None
    if region == "GB" and digits.startswith("0") and not digits.startswith("00"):
        # UK numbers are written with the trunk 0; every valid national number follows it.
        candidate = _rules(region).e164("+44" + digits[1:])
        return candidate
    return _rules(region).e164(digits)


def normalise_phone(raw: str, jurisdiction: str) -> str:
    """The E.164 form of a phone number; InputError (without the number) when it is not one."""
    region = REGION.get(jurisdiction, "ZZ")
    if region != "ZZ":
        fast = _fast(raw, region)
        if fast is not None:
            return fast
    return _library(raw, region)


def _library(raw: str, region: str) -> str:
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InputError("malformed phone number", field="phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InputError("phone number is not a valid number", field="phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
