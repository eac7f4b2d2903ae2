"""Builders for decision requests: a valid borrower call, changed only where a test says."""

from __future__ import annotations

import copy
from typing import Any

from faircollect.policy import Decision, decide, parse_request, resolve_pack

BASE: dict[str, Any] = {
    "jurisdiction": "CN",
    "at": "2026-05-11T06:00:00+00:00",
    "attempt": {
        "channel": "call", "audience": "borrower", "purpose": "collection", "contact_id": None,
        "template": {"id": "t-1", "approved": True, "locale": "en",
                     "body": "Hi {name}, please pay in the app. Reply STOP to opt out."},
    },
    "borrower": {
        "timezone": "Asia/Shanghai", "days_past_due": 20, "unreachable_since": None,
        "flags": [], "opted_out_channels": [], "agreed_windows": [],
    },
    "contacts": [
        {"id": "c-1", "relation": "sibling", "source": "borrower_designated",
         "refused_contact": False},
        {"id": "c-2", "relation": "friend", "source": "address_book", "refused_contact": False},
    ],
    "consents": [
        {"purpose": "contact_designated_contact", "contact_id": "c-1",
         "granted_at": "2026-01-01T00:00:00+00:00", "expires_at": "2027-01-01T00:00:00+00:00",
         "withdrawn_at": None},
    ],
    "history": [],
    "notices": [],
}

LOCATE_BODY = "We need to reach {name} about an urgent matter. Please ask them to call {hotline}."


def build(**changes: Any) -> dict[str, Any]:
    """A copy of BASE; keys like 'attempt.channel' change nested values."""
    req = copy.deepcopy(BASE)
    for key, value in changes.items():
        target = req
        parts = key.split("__")
        for p in parts[:-1]:
            target = target[p]
        target[parts[-1]] = value
    return req


def contact_request(**changes: Any) -> dict[str, Any]:
    """A lawful locate call to designated contact c-1 (borrower unreachable, notice sent)."""
    base = {
        "attempt__audience": "designated_contact", "attempt__purpose": "locate",
        "attempt__contact_id": "c-1",
        "attempt__template": {"id": "t-9", "approved": True, "locale": "en", "body": LOCATE_BODY},
        "borrower__unreachable_since": "2026-05-01T00:00:00+00:00",
        "notices": [{"at": "2026-05-05T00:00:00+00:00", "kind": "escalation_notice"}],
    }
    base.update(changes)
    return build(**base)


def run(req: dict[str, Any]) -> Decision:
    r = parse_request(req)
    return decide(r, resolve_pack(r.jurisdiction))


def rules(decision: Decision) -> set[str]:
    return {v.rule for v in decision.violations}


def cats(decision: Decision) -> set[str]:
    return {v.category.value for v in decision.violations}
