"""Reading decision requests from text: one JSON object, or JSON Lines; errors name the line."""

from __future__ import annotations

from typing import Any

import orjson

from faircollect.errors import InputError
from faircollect.policy.decide import decide
from faircollect.policy.pack import resolve_pack
from faircollect.policy.request import DecisionRequest, parse_request


def read_requests(text: str, source: str) -> list[DecisionRequest]:
    """Parse every request in `text` (all-or-nothing); InputError names line and field."""
    stripped = text.strip()
    if not stripped:
        raise InputError(f"{source}: no decision requests")
    try:
        whole = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        return [_with_pack(parse_request(whole, where=f"{source}:1"), f"{source}:1", 1)]
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise InputError(f"{source}:{number}: not valid JSON", line=number) from None
        where = f"{source}:{number}"
        out.append(_with_pack(parse_request(data, where=where), where, number))
    return out


def _with_pack(request: DecisionRequest, where: str, line: int) -> DecisionRequest:
    """`request` once its jurisdiction names a known pack; else an InputError naming the line.

    Checked while reading, so a bad jurisdiction on any line fails the whole input before a
    single decision is printed (decision-api.md: malformed input names the line and field).
    """
    try:
        resolve_pack(request.jurisdiction)
    except InputError as exc:
        raise InputError(f"{where}: {exc}", field="jurisdiction", line=line) from None
    return request


def decide_many(requests: list[DecisionRequest]) -> list[dict[str, Any]]:
    """Decisions in the contract's JSON shape, in input order."""
    return [decide(r, resolve_pack(r.jurisdiction)).to_json() for r in requests]
