"""Identifiers as they enter a shared set: one canonical spelling per person.

Two lenders only find the same borrower when they write the identifier byte for byte the
same way, so every input is normalised first: phones to E.164 (`phonenumbers`, with a default
region for numbers written without a country code), national ids to upper case without
spaces or separators, with the check digit verified where the scheme has one (mainland China's
18-character resident id, GB 11643 / ISO 7064 MOD 11-2).

The canonical form is typed (`phone:+8613812345699`, `nid:CN:110101199003071234`): a phone
can never collide with an id. Errors name the line and what is wrong, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import phonenumbers

from faircollect.errors import InputError

KINDS = ("phone", "nid")
_ID_STRIP = re.compile(r"[\s\-./]")
_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"
_NID = re.compile(r"^[A-Z0-9]{4,32}$")


@dataclass(frozen=True, slots=True)
class Identifier:
    """A normalised identifier; `canonical` is what is hashed. The repr hides the value."""

    kind: str
    canonical: str

    def __repr__(self) -> str:
        return f"Identifier(kind={self.kind!r})"

    def encode(self) -> bytes:
        return self.canonical.encode("utf-8")


def normalise_phone(raw: str, default_region: str = "CN") -> Identifier:
    """A phone number in E.164; InputError when it is not a possible, valid number."""
    try:
        num = phonenumbers.parse(raw.strip(), default_region.upper())
    except phonenumbers.NumberParseException:
        raise InputError("not a phone number", field="phone") from None
    if not phonenumbers.is_valid_number(num):
        raise InputError("not a valid phone number for its region", field="phone")
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return Identifier("phone", f"phone:{e164}")


def cn_check_digit(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _CN_WEIGHTS, strict=True))
    return _CN_CHECK[total % 11]


def normalise_national_id(raw: str, country: str) -> Identifier:
    """A national id, upper case without separators, prefixed by its issuing country.

    CN ids must have 18 characters and a correct check character; other countries' ids must be
    4 to 32 letters or digits.
    """
    country = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise InputError("country must be a two-letter ISO 3166 code", field="country")
    value = _ID_STRIP.sub("", raw).upper()
    if country == "CN":
        if not re.fullmatch(r"\d{17}[\dX]", value):
            raise InputError("a CN resident id has 17 digits and a check digit or X",
                             field="national_id")
        if cn_check_digit(value[:17]) != value[17]:
            raise InputError("the CN resident id's check digit is wrong", field="national_id")
    elif not _NID.fullmatch(value):
        raise InputError("a national id has 4 to 32 letters or digits", field="national_id")
    return Identifier("nid", f"nid:{country}:{value}")


def normalise(kind: str, raw: str, region: str = "CN") -> Identifier:
    """Normalise one identifier of `kind` (phone or nid); `region` is the phone's default
    region or the id's issuing country."""
    if kind == "phone":
        return normalise_phone(raw, region)
    if kind == "nid":
        return normalise_national_id(raw, region)
    raise InputError(f"unknown identifier kind {kind!r} (phone or nid)", field="kind")


def parse_set_lines(lines: Iterable[str], *, file: str = "set",
                    default_region: str = "CN") -> Iterator[Identifier]:
    """Identifiers from a set file: one a line, `phone,<number>[,<region>]` or
    `nid,<id>,<country>`, or a bare phone number; blank lines and `#` comments are skipped.

    A line that does not normalise raises InputError naming the file and line (not the value).
    """
    for n, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        parts = [p.strip() for p in text.split(",")]
        try:
            if len(parts) == 1:
                yield normalise_phone(parts[0], default_region)
            elif parts[0] in KINDS and len(parts) in (2, 3):
                yield normalise(parts[0], parts[1], parts[2] if len(parts) == 3 else default_region)
            else:
                raise InputError("expected kind,value[,region]", field="line")
        except InputError as exc:
            raise InputError(f"{file}:{n}: {exc.message}", file=file, line=n) from None


def unique(ids: Iterable[Identifier]) -> list[str]:
    """Canonical forms without repeats, in first-seen order (a set is a set)."""
    return list(dict.fromkeys(i.canonical for i in ids))
