"""Consent records and what they mean over time: the pure core of the ledger.

A consent is never updated in place. Its history is a list of records in the order they were
written (record_id), and its meaning at any instant is read from that list:

- `grant` and `renew` each open a span [granted_at, expires_at) (open-ended without an expiry);
- `expire` (written by the periodic review) ends every span opened *before it* at its
  `expires_at`; a later renewal opens a new span;
- `withdraw` ends every span at `withdrawn_at`, and nothing may follow it.

So `valid(at)` holds when some span has granted_at <= at < end: valid from the instant of the
grant, invalid from the instant of expiry or withdrawal. This is the same reading the policy's
CONSENT rule applies to the decision request's consent list, which `decision_entries` produces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Kind = Literal["grant", "renew", "expire", "withdraw"]
KINDS: tuple[str, ...] = ("grant", "renew", "expire", "withdraw")
OPENING: tuple[str, ...] = ("grant", "renew")


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One row of the append-only ledger (no personal data: ids are tokens)."""

    record_id: int
    consent_id: str
    borrower_id: str
    purpose: str
    contact_id: str | None
    kind: str
    granted_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None
    channel: str | None = None
    policy_version: str | None = None
    notice_sha256: str | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """An interval during which a consent is valid: start <= t < end (None = open-ended).

    `expires` is where the span ends by expiry or review, `withdrawn_at` where the consent was
    withdrawn; the span ends at whichever comes first.
    """

    consent_id: str
    borrower_id: str
    purpose: str
    contact_id: str | None
    start: datetime
    expires: datetime | None
    withdrawn_at: datetime | None

    @property
    def end(self) -> datetime | None:
        return _min(self.expires, self.withdrawn_at)

    def covers(self, at: datetime) -> bool:
        end = self.end
        return self.start <= at and (end is None or at < end)


@dataclass(frozen=True, slots=True)
class ConsentState:
    """The state of one consent at one instant, for `consent show` and review."""

    consent_id: str
    borrower_id: str
    purpose: str
    contact_id: str | None
    status: Literal["pending", "active", "expired", "withdrawn"]
    granted_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None
    records: int


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def spans(records: Iterable[ConsentRecord]) -> list[Span]:
    """The validity spans of the consents in `records` (any number of consents, any order)."""
    by_consent: dict[str, list[ConsentRecord]] = {}
    for r in records:
        by_consent.setdefault(r.consent_id, []).append(r)
    out: list[Span] = []
    for recs in by_consent.values():
        recs.sort(key=lambda r: r.record_id)
        withdrawn = None
        for r in recs:
            if r.kind == "withdraw":
                withdrawn = _min(withdrawn, r.withdrawn_at)
        for i, r in enumerate(recs):
            if r.kind not in OPENING:
                continue
            expires = r.expires_at
            for later in recs[i + 1 :]:
                if later.kind == "expire":
                    expires = _min(expires, later.expires_at)
            span = Span(r.consent_id, r.borrower_id, r.purpose, r.contact_id, r.granted_at,
                        expires, withdrawn)
            if span.end is not None and span.end <= span.start:
                continue  # an empty span never makes anything valid
            out.append(span)
    return out


def valid(
    records: Iterable[ConsentRecord], purpose: str, contact_id: str | None, at: datetime
) -> bool:
    """Whether the records hold a valid consent for `purpose` (and contact) at `at`.

    `records` are one borrower's; `contact_id` None asks about a consent not tied to a contact.
    """
    return any(
        s.covers(at)
        for s in spans(r for r in records if r.purpose == purpose and r.contact_id == contact_id)
    )


def decision_entries(records: Iterable[ConsentRecord]) -> list[dict[str, Any]]:
    """One borrower's consents in the decision request's shape, one entry per validity span.

    Keys: purpose, contact_id, granted_at, expires_at, withdrawn_at (aware datetimes or None).
    The policy's CONSENT rule reads each entry as valid when granted_at <= at < expires_at and
    at < withdrawn_at, which is exactly `valid` above.
    """
    rows = sorted(spans(records), key=lambda s: (s.purpose, s.contact_id or "", s.start))
    return [_entry(s) for s in rows]


def listed_entries(records: Iterable[ConsentRecord]) -> list[dict[str, Any]]:
    """`decision_entries` with each span's `consent_id` first, for listings people act on.

    The id is what `withdraw` and `renew` take, so a borrower can withdraw any consent they
    see, imported ones included. Drop `consent_id` to paste an entry into a decision request.
    """
    rows = sorted(spans(records), key=lambda s: (s.purpose, s.contact_id or "", s.start,
                                                 s.consent_id))
    return [{"consent_id": s.consent_id, **_entry(s)} for s in rows]


def _entry(s: Span) -> dict[str, Any]:
    """One span in the decision request's consent shape."""
    return {
        "purpose": s.purpose,
        "contact_id": s.contact_id,
        "granted_at": s.start,
        "expires_at": s.expires,
        "withdrawn_at": s.withdrawn_at,
    }


def state(records: Sequence[ConsentRecord], at: datetime) -> ConsentState:
    """The state of one consent (all records share a consent_id) at `at`."""
    recs = sorted(records, key=lambda r: r.record_id)
    first = recs[0]
    sp = spans(recs)
    withdrawn = next((r.withdrawn_at for r in recs if r.kind == "withdraw"), None)
    latest = max(sp, key=lambda s: s.start) if sp else None
    status: Literal["pending", "active", "expired", "withdrawn"]
    if any(s.covers(at) for s in sp):
        status = "active"
    elif withdrawn is not None and withdrawn <= at:
        status = "withdrawn"
    elif all(s.start > at for s in sp) and sp:
        status = "pending"
    else:
        status = "expired"
    return ConsentState(
        consent_id=first.consent_id,
        borrower_id=first.borrower_id,
        purpose=first.purpose,
        contact_id=first.contact_id,
        status=status,
        granted_at=first.granted_at,
        expires_at=latest.expires if latest is not None else None,
        withdrawn_at=withdrawn,
        records=len(recs),
    )
