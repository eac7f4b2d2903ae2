"""The audit log: entries (Merkle leaves), cached subtree hashes, the head, checkpoints.

`audit_entries.seq` is the leaf index (0-based, gap-free). `audit_nodes` caches the hash of
every perfect aligned subtree of 2**level leaves for level >= NODE_LEVEL (16 leaves and up),
so a proof reads O(log n) rows while the cache adds only about n/8 rows. `audit_head` is a
single row holding the tree size and its frontier; writers lock it, which is what keeps
sequence numbers gap-free across processes. All of it is recomputed by verification: only
the signed checkpoints are trusted.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, SmallInteger, String, Table, Text

from faircollect.store.schema import metadata

# Lowest subtree level kept in audit_nodes; lower levels are rebuilt from <= 16 leaf hashes.
NODE_LEVEL = 4

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),  # canonical UTC text, part of the leaf
    Column("actor", String(200), nullable=False),
    Column("action", String(200), nullable=False),
    Column("subject", String(200), nullable=False, index=True),
    Column("payload", LargeBinary, nullable=False),  # canonical JSON bytes
    Column("leaf", LargeBinary(32), nullable=False),
)

audit_nodes = Table(
    "audit_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("frontier", LargeBinary, nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("at", String(32), nullable=False),
    Column("note", Text, nullable=False),  # the signed note, exactly as signed
)
