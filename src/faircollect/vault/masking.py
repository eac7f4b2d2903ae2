"""Masked forms of personal data, for screens and logs that must not show it whole."""

from __future__ import annotations


def mask_phone(e164: str) -> str:
    """+8613812345699 -> 138****5699; keeps the first three and last four national digits."""
    digits = e164.lstrip("+")
    national = (
        digits[2:]
        if digits.startswith("86")
        else digits[1:]
        if digits.startswith("1")
        else digits[2:]
        if digits.startswith("44")
        else digits
    )
    if len(national) <= 7:
        return "*" * (len(national) - 2) + national[-2:]
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


def mask_name(name: str) -> str:
    """张三丰 -> 张**; Jane Doe -> J*** D**."""
    parts = name.split()
    if len(parts) <= 1:
        return name[:1] + "*" * max(len(name) - 1, 1)
    return " ".join(p[:1] + "*" * max(len(p) - 1, 1) for p in parts)


def mask_national_id(value: str) -> str:
    """Keeps the first 3 and last 4 characters."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(value: str) -> str:
    """jane.doe@example.com -> j*******@example.com."""
    local, _, domain = value.partition("@")
    return (local[:1] + "*" * max(len(local) - 1, 1)) + ("@" + domain if domain else "")


MASKERS = {
    "phone": mask_phone,
    "full_name": mask_name,
    "name": mask_name,
    "national_id": mask_national_id,
    "email": mask_email,
}
