"""Deterministic bytes for audit entries: the exact input of each leaf hash.

A payload is canonical JSON: object keys sorted, UTF-8, no insignificant whitespace, no
floats (binary floats do not round-trip across languages; money is a Decimal string).
The whole entry is itself a canonical JSON object with the keys action, actor, at, payload,
seq, subject. The standalone verifier rebuilds the same bytes with the standard library's
`json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`; a property test
holds the two equal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

from faircollect.errors import InputError

_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
# Actor, action and subject are tokens and ids: printable ASCII without `"` or `\`, so an
# entry's bytes can be assembled without escaping (which keeps verification fast).
_TOKEN = re.compile(r'[ !#-\[\]-~]+')
TOKEN_LIMIT = 200


def format_time(moment: datetime) -> str:
    """An instant as canonical text: UTC, microseconds, `Z` (sorts like the instant)."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InputError("audit time must be a timezone-aware datetime", field="now")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_token(value: object, name: str) -> str:
    """Return `value` if it is a usable actor/action/subject token, else raise InputError."""
    if not isinstance(value, str) or not value or len(value) > TOKEN_LIMIT:
        raise InputError(f"audit {name} must be a non-empty string of at most {TOKEN_LIMIT}"
                         " characters", field=name)
    if not _TOKEN.fullmatch(value):
        raise InputError(f"audit {name} must be printable ASCII without quotes or backslashes",
                         field=name)
    return value


def canonical_payload(payload: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes of a payload mapping; floats and non-JSON values raise InputError."""
    if not isinstance(payload, Mapping):
        raise InputError("audit payload must be a mapping", field="payload")
    return orjson.dumps(_plain(payload, "payload"), option=orjson.OPT_SORT_KEYS)


def _plain(value: Any, where: str) -> Any:
    """A JSON-ready copy of `value`, refusing anything that would not be deterministic."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(f"{where} is not valid Unicode text", field=where) from None
        return str(value)
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise InputError(f"{where} does not fit in 64 bits", field=where)
        return int(value)
    if isinstance(value, float):
        raise InputError(f"{where} is a float; pass a Decimal or a string", field=where)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InputError(f"{where} is not a finite number", field=where)
        return str(value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"{where} has a non-string key", field=where)
            out[_plain(key, where)] = _plain(item, f"{where}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise InputError(f"{where} has a value of type {type(value).__name__} that JSON cannot"
                     " hold", field=where)


def entry_bytes(seq: int, at: str, actor: str, action: str, subject: str,
                payload: bytes) -> bytes:
    """Canonical bytes of a whole entry; `payload` must already be canonical JSON.

    Keys are written in sorted order by hand: the tokens need no escaping (see _TOKEN) and
    this runs once per entry on every append and every verification.
    """
    return b"".join((
        b'{"action":"', action.encode(), b'","actor":"', actor.encode(), b'","at":"',
        at.encode(), b'","payload":', payload, b',"seq":', str(seq).encode(),
        b',"subject":"', subject.encode(), b'"}',
    ))
