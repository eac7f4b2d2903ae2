"""The web faces' own state: staff sign-in accounts, server-side sessions and contact-person
one-time links.

No personal data: staff are named by a username they chose (never a borrower's data), TOTP
secrets are sealed, passwords kept as scrypt hashes, and session ids and link tokens only as
SHA-256 digests, so a copy of the table lets nobody in.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    false,
)

from faircollect.store.schema import UTCDateTime, metadata

web_staff = Table(
    "web_staff",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),  # scrypt$n$r$p$salt$hash
    Column("totp_secret_ct", LargeBinary, nullable=False),  # sealed under a keyring-derived key
    # The TOTP time step last used: a code works once, even across server processes.
    Column("totp_last_step", BigInteger, nullable=False, default=0, server_default="0"),
    # Wrong passwords or codes in a row; at MAX_FAILURES the account locks until locked_until.
    Column("failures", Integer, nullable=False, default=0, server_default="0"),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("demo", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime, nullable=True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_digest", String(64), primary_key=True),  # sha256 of the cookie value
    Column("kind", String(16), nullable=False),  # staff | borrower
    Column("actor_id", String(96), nullable=False),
    Column("role", String(16), nullable=False),
    Column("borrower_id", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Index("ix_web_sessions_expires", "expires_at"),
)

web_contact_links = Table(
    "web_contact_links",
    metadata,
    Column("token_digest", String(64), primary_key=True),
    Column("contact_id", String(64), ForeignKey("contacts.contact_id"), nullable=False),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("lender", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),  # the first action taken through it
    Index("ix_web_contact_links_contact", "contact_id"),
)

# A borrower's request for a payment plan from the portal; a supervisor turns it into a plan
# (cases.plans.create_plan) or declines it.
web_plan_requests = Table(
    "web_plan_requests",
    metadata,
    Column("request_id", String(40), primary_key=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("loan_id", String(64), nullable=False),
    Column("installments", Integer, nullable=False),
    Column("first_due_on", Date, nullable=False),
    Column("state", String(16), nullable=False),  # requested | accepted | declined
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
    Index("ix_web_plan_requests_borrower", "borrower_id"),
)
