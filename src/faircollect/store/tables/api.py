"""The HTTP API's own state: responses kept for `Idempotency-Key` replays.

A row is claimed (status NULL) before the route runs and completed with its response; the
response body is sealed (it may name a borrower), the caller is a digest of its credential
and the request a digest of its method, path and body, so the table holds no personal data.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

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

# Staff bearer tokens (OAuth2 client credentials): short-lived access tokens and the refresh
# tokens that renew them, kept only as SHA-256 digests. A refresh token is used once; its
# reuse revokes its whole family (every token descended from one grant).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_digest", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),  # access | refresh
    Column("family", String(40), nullable=False),
    Column("client_key_id", String(32), nullable=False),
    Column("actor_id", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("borrower_id", String(64), nullable=True),
    Column("scopes", String(200), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_api_tokens_family", "family"),
    Index("ix_api_tokens_expires_at", "expires_at"),
)

# Borrowers' one-time sign-in codes, sent to their own phone or e-mail on file; kept as
# keyed digests, valid for minutes, used once, a few wrong tries each.
api_otp_codes = Table(
    "api_otp_codes",
    metadata,
    Column("code_id", String(40), primary_key=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("code_digest", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("used_at", UTCDateTime, nullable=True),
    Index("ix_api_otp_codes_borrower", "borrower_id", "created_at"),
)
