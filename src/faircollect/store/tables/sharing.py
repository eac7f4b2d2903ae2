"""The differential-privacy budget ledger of industry reports (faircollect.sharing.budget).

`dp_budgets` holds one epsilon budget per scope (a data set released from, e.g. the
portfolio's industry reports); `dp_releases` is append-only, one row per release that spent
from it. What is left is the budget less the sum of the releases: never stored, so it cannot
disagree with them.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text

from faircollect.store.schema import UTCDateTime, metadata

dp_budgets = Table(
    "dp_budgets",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("total_epsilon", Float, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

dp_releases = Table(
    "dp_releases",
    metadata,
    Column("release_id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(64), ForeignKey("dp_budgets.scope"), nullable=False),
    Column("report", String(64), nullable=False),
    Column("epsilon", Float, nullable=False),
    Column("noise_scale", Float, nullable=False),
    Column("mechanism", String(200), nullable=False),
    Column("released_at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Index("ix_dp_releases_scope", "scope"),
)
