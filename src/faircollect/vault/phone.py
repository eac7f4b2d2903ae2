"""Phone numbers: parse, validate and normalise to E.164 with `phonenumbers`.

`phonenumbers` costs about 0.15 ms a number, which dominates a large import. The common
case (a number of the borrower's own region written with digits and the usual separators)
takes a fast path that applies the same metadata patterns `phonenumbers` uses for mobile
and fixed-line numbers; anything the fast path does not accept goes to the library, which
decides. A Hypothesis test holds the two equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata

from faircollect.errors import InputError

# Default region per jurisdiction for numbers written without a country code.
REGION = {"CN": "CN", "US": "US", "UK": "GB", "IN": "IN", "NG": "NG", "PH": "PH", "KE": "KE",
          "ID": "ID"}
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


# -- checking numbers for import ----------------------------------------------------------
# A lender's file holds numbers the numbering plan in `phonenumbers` may not list yet (a
# carrier's new prefix, e.g. +86 174...). Rejecting a whole portfolio for one of them helps
# nobody: a number that is well formed (digits and separators, a length the plan allows,
# the plan's overall shape) is imported and flagged `phone_unverified`. What cannot be a
# number at all (letters, a date, the wrong length, an unknown country code) is an error.

_WRITTEN = re.compile(r"\+?[0-9][0-9 \-().]*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_V = phonenumbers.ValidationResult


@dataclass(frozen=True, slots=True)
class CheckedPhone:
    """A phone number in E.164 form, and whether the numbering plan lists its range."""

    e164: str = field(repr=False)
    listed: bool


def check_phone(raw: str, jurisdiction: str) -> CheckedPhone:
    """Normalise `raw`; unlisted but well-formed numbers come back with `listed=False`.

    Raises InputError (never naming the number) for what cannot be a phone number.
    """
    region = REGION.get(jurisdiction, "ZZ")
    if region != "ZZ":
        fast = _fast(raw, region)
        if fast is not None:
            return CheckedPhone(fast, True)
    text = raw.strip()
    # Letters are not digits here: phonenumbers would read "ABC" as 222 (vanity numbers).
    if not _WRITTEN.fullmatch(text) or _ISO_DATE.match(text):
        raise InputError(
            "is not a phone number (expected digits, spaces, '-', '.', '(' or ')' and an "
            "optional leading '+')",
            field="phone",
        )
    unknown_code = False
    try:
        parsed: phonenumbers.PhoneNumber | None = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        parsed = None
        unknown_code = exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        return CheckedPhone(_e164(parsed), True)
    if parsed is None:
        if unknown_code and text.startswith("+"):
            raise InputError("has an unknown country calling code", field="phone")
        raise InputError("is not a phone number", field="phone")
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason == _V.INVALID_COUNTRY_CODE:
        raise InputError("has an unknown country calling code", field="phone")
    code = parsed.country_code or 0
    home = phonenumbers.region_code_for_country_code(code)
    plan = f"+{code}" + (f" ({home})" if home not in ("ZZ", "001") else "")
    if reason in (_V.TOO_SHORT, _V.IS_POSSIBLE_LOCAL_ONLY):
        raise InputError(f"has too few digits for a {plan} number", field="phone")
    if reason == _V.TOO_LONG:
        raise InputError(f"has too many digits for a {plan} number", field="phone")
    if reason != _V.IS_POSSIBLE:
        raise InputError(f"has a number of digits no {plan} number has", field="phone")
    metadata = (
        PhoneMetadata.metadata_for_region(home)
        if home not in ("ZZ", "001")
        else PhoneMetadata.metadata_for_nongeo_region(code)
    )
    general = metadata.general_desc if metadata is not None else None
    pattern = general.national_number_pattern if general is not None else None
    national = phonenumbers.national_significant_number(parsed)
    if not pattern or not re.fullmatch(pattern, national):
        raise InputError(f"does not fit the {plan} numbering plan", field="phone")
    return CheckedPhone(_e164(parsed), False)


def _e164(parsed: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
