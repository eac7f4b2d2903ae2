"""One audit entry as callers hand it in, and one as the log stores it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from faircollect.audit.canonical import canonical_payload, check_token, entry_bytes
from faircollect.audit.merkle import leaf_hash
from faircollect.errors import IntegrityError


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What happened: who (`actor`) did what (`action`) to which token (`subject`).

    Entries carry tokens and ids, never personal data, so erasing a borrower never needs
    to touch the log. The payload is canonicalised when the entry is made: bad values are
    refused at the call site, and later changes to the caller's mapping cannot leak in.
    """

    actor: str
    action: str
    subject: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    canonical: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_token(self.actor, "actor")
        check_token(self.action, "action")
        check_token(self.subject, "subject")
        object.__setattr__(self, "canonical", canonical_payload(self.payload))


@dataclass(frozen=True, slots=True)
class LoggedEntry:
    """An entry as stored: its sequence number (= leaf index), time and leaf hash."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    payload_json: bytes
    leaf: bytes

    @classmethod
    def from_record(cls, seq: int, record: str | bytes, leaf: bytes) -> LoggedEntry:
        """The entry stored as `record` at `seq`; IntegrityError if the record is damaged.

        A record is damaged when it is not the canonical bytes of an entry at `seq`, even
        if its leaf hash was changed to match: readers then point at `audit verify`.
        """
        raw = record.encode() if isinstance(record, str) else bytes(record)
        try:
            doc = orjson.loads(raw)
            entry = cls(seq, doc["at"], doc["actor"], doc["action"], doc["subject"],
                        orjson.dumps(doc["payload"], option=orjson.OPT_SORT_KEYS), leaf)
            canonical = doc["seq"] == seq and entry.record() == raw
        except (orjson.JSONDecodeError, orjson.JSONEncodeError, KeyError, TypeError,
                AttributeError):
            canonical = False
        if not canonical:
            raise IntegrityError(f"audit entry {seq} is damaged: its record is not the "
                                 "canonical form of an entry; run `faircollect audit verify`",
                                 seq=seq)
        return entry

    def record(self) -> bytes:
        """The canonical bytes the leaf hash covers."""
        return entry_bytes(self.seq, self.at, self.actor, self.action, self.subject,
                           self.payload_json)

    def is_intact(self) -> bool:
        """Whether the stored leaf hash still matches the stored fields."""
        return leaf_hash(self.record()) == self.leaf

    def to_dict(self) -> dict[str, Any]:
        """The entry as a JSON object (payload parsed), as exports and the CLI show it."""
        return {
            "seq": self.seq, "at": self.at, "actor": self.actor, "action": self.action,
            "subject": self.subject, "payload": orjson.loads(self.payload_json),
        }
