"""Phone numbers: parse, validate and normalise to E.164 with `phonenumbers`."""

from __future__ import annotations

import phonenumbers

from faircollect.errors import InputError

# Default region per jurisdiction for numbers written without a country code.
REGION = {"CN": "CN", "US": "US", "UK": "GB"}


def normalise_phone(raw: str, jurisdiction: str) -> str:
    """The E.164 form of a phone number; InputError (without the number) when it is not one."""
    try:
        parsed = phonenumbers.parse(raw, REGION.get(jurisdiction, "ZZ"))
    except phonenumbers.NumberParseException as exc:
        raise InputError("malformed phone number", field="phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InputError("phone number is not a valid number", field="phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
