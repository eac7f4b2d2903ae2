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
    try:
        return orjson.dumps(_plain(payload), option=orjson.OPT_SORT_KEYS)
    except _Refused as exc:
        where = "payload" + "".join(reversed(exc.path))
        raise InputError(f"{where} {exc.reason}", field=where) from None
    except orjson.JSONEncodeError:  # e.g. a lone surrogate in a string
        raise InputError("payload holds text that is not valid Unicode",
                         field="payload") from None


class _Refused(Exception):
    """A value that cannot be canonical; `path` grows as the walk unwinds (error path only)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.path: list[str] = []


def _plain(value: Any) -> Any:
    """A JSON-ready copy of `value`, refusing anything that would not be deterministic.

    Exact type checks come first: payloads are mostly plain str/int/dict, and this runs for
    every entry of a bulk append.
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if not _INT_MIN <= value <= _INT_MAX:
            raise _Refused("does not fit in 64 bits")
        return value
    if kind is dict:
        # Flat dicts of plain values (the usual payload) are serialised as they are.
        for key, item in value.items():
            t = type(item)
            if type(key) is not str or not (
                t is str or t is bool or item is None or (t is int and _INT_MIN <= item <= _INT_MAX)
            ):
                break
        else:
            return value
    if kind is dict or isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str:
                if not isinstance(key, str):
                    raise _Refused("has a non-string key")
                key = str(key)
            try:
                out[key] = _plain(item)
            except _Refused as exc:
                exc.path.append(f".{key}")
                raise
        return out
    if kind is list or kind is tuple:
        items = []
        for i, item in enumerate(value):
            try:
                items.append(_plain(item))
            except _Refused as exc:
                exc.path.append(f"[{i}]")
                raise
        return items
    return _plain_other(value)


def _plain_other(value: Any) -> Any:
    if isinstance(value, float):
        raise _Refused("is a float; pass a Decimal or a string")
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return _plain(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _Refused("is not a finite number")
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _Refused("is a datetime without a timezone")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return _plain(list(value))
    raise _Refused(f"has a value of type {type(value).__name__} that JSON cannot hold")


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
