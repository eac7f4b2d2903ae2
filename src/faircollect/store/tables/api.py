"""The HTTP API's own state: responses kept for `Idempotency-Key` replays.

A row is claimed (status NULL) before the route runs and completed with its response; the
response body is sealed (it may name a borrower), the caller is a digest of its credential
and the request a digest of its method, path and body, so the table holds no personal data.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table, Text

from faircollect.store.schema import UTCDateTime, metadata

api_idempotency = Table(
    "api_idempotency",
    metadata,
    Column("caller", String(64), primary_key=True),  # digest of the bearer credential
    Column("idempotency_key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # sha256(method, path, body)
    Column("status", Integer, nullable=True),  # NULL while the first request runs
    Column("headers", Text, nullable=True),  # JSON: the replayed response's headers
    Column("body_ct", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_api_idempotency_created_at", "created_at"),
)
