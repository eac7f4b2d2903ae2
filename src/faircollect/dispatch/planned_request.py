"""The request each planned message was decided under, read back from `policy_decisions`.

The daily cycle records the decision request of every attempt it plans; the worker's
send-time check reads it again for each claimed message (see `send_check`). Two readers:
`planning_requests` parses each request whole, as stored; `PlannedReader` keeps only the
parts the send-time check does not replace, validating each distinct part once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import TypeAdapter
from sqlalchemy import Connection, Row, select

from faircollect.policy.request import Attempt, Borrower, Consent, Contact, DecisionRequest
from faircollect.store.tables.cycle import planned_attempts
from faircollect.store.tables.policy import policy_decisions

_CHUNK = 900


def _stored(conn: Connection, message_ids: Sequence[str]) -> Iterator[Row[Any, Any, Any, Any]]:
    """(message id, request JSON, when planned, planned instant) of each message the cycle
    planned and allowed."""
    for start in range(0, len(message_ids), _CHUNK):
        chunk = list(message_ids[start:start + _CHUNK])
        yield from conn.execute(
            select(planned_attempts.c.message_id, policy_decisions.c.request,
                   planned_attempts.c.created_at, planned_attempts.c.planned_at)
            .join(policy_decisions,
                  policy_decisions.c.decision_id == planned_attempts.c.decision_id)
            .where(planned_attempts.c.message_id.in_(chunk), planned_attempts.c.allowed)
        )


def planning_requests(conn: Connection, message_ids: Sequence[str]) -> dict[str, DecisionRequest]:
    """The request each message was planned under, for the messages the cycle planned."""
    return {row.message_id: DecisionRequest.model_validate_json(row.request)
            for row in _stored(conn, message_ids)}


@dataclass(frozen=True, slots=True)
class Planned:
    """The parts of a stored planning request that the send-time check keeps.

    The rest is replaced by what is true at the moment of sending: the instant, the
    history and notices, the borrower's flags and opted-out channels, and a contact's
    consents.
    """

    jurisdiction: str
    attempt: Attempt
    borrower: Borrower
    contacts: tuple[Contact, ...]
    consents: tuple[Consent, ...]


_CONTACTS = TypeAdapter(tuple[Contact, ...])
_CONSENTS = TypeAdapter(tuple[Consent, ...])


class PlannedReader:
    """Parses stored planning requests into `Planned`, validating each distinct part once.

    A day's messages share a few dozen attempts (template, channel, audience) and borrower
    situations (zone, days past due, windows); the models are frozen, so one instance
    serves every request with the same JSON.
    """

    def __init__(self) -> None:
        self._attempts: dict[bytes, Attempt] = {}
        self._borrowers: dict[bytes, Borrower] = {}
        self._refreshed: dict[tuple[Borrower, tuple[str, ...], tuple[str, ...]], Borrower] = {}
        #: Of the messages last read: the earliest moment one was planned, and the earliest
        #: planned instant (None before a read, or when none was planned by the cycle).
        self.planned_since: datetime | None = None
        self.first_planned: datetime | None = None

    def read(self, conn: Connection, message_ids: Sequence[str]) -> dict[str, Planned]:
        """The kept parts of each planned message's request, by message id."""
        out: dict[str, Planned] = {}
        since: datetime | None = None
        first: datetime | None = None
        for row in _stored(conn, message_ids):
            out[row.message_id] = self.parse(row.request)
            if since is None or row.created_at < since:
                since = row.created_at
            if first is None or row.planned_at < first:
                first = row.planned_at
        self.planned_since, self.first_planned = since, first
        return out

    def parse(self, text: str) -> Planned:
        """One stored request's kept parts."""
        d = orjson.loads(text)
        key = orjson.dumps(d["attempt"])
        attempt = self._attempts.get(key)
        if attempt is None:
            attempt = self._attempts[key] = Attempt.model_validate(d["attempt"])
        key = orjson.dumps(d["borrower"])
        borrower = self._borrowers.get(key)
        if borrower is None:
            borrower = self._borrowers[key] = Borrower.model_validate(d["borrower"])
        contacts, consents = d.get("contacts"), d.get("consents")
        return Planned(
            jurisdiction=d["jurisdiction"], attempt=attempt, borrower=borrower,
            contacts=_CONTACTS.validate_python(contacts) if contacts else (),
            consents=_CONSENTS.validate_python(consents) if consents else ())

    def borrower(self, base: Borrower, flags: list[str], opted_out: list[str]) -> Borrower:
        """`base` with the flags and opted-out channels now in force."""
        key = (base, tuple(flags), tuple(opted_out))
        found = self._refreshed.get(key)
        if found is None:
            found = self._refreshed[key] = base.model_copy(
                update={"flags": key[1], "opted_out_channels": key[2]})
        return found
