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
        return [parse_request(whole, where=f"{source}:1")]
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise InputError(f"{source}:{number}: not valid JSON", line=number) from None
        out.append(parse_request(data, where=f"{source}:{number}"))
    return out


def decide_many(requests: list[DecisionRequest]) -> list[dict[str, Any]]:
    """Decisions in the contract's JSON shape, in input order."""
    return [decide(r, resolve_pack(r.jurisdiction)).to_json() for r in requests]
