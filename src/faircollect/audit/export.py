"""Export bundles: a run of entries with everything needed to verify them offline.

A bundle is one JSON file holding the entries, an inclusion proof for each against a fresh
signed checkpoint, every earlier stored checkpoint with a consistency proof to it, and the
audit public key as a signed-note verifier key. `faircollect.audit.verify` checks it with
nothing but the standard library and `cryptography`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, select

from faircollect.audit import checkpoint as cp
from faircollect.audit import merkle
from faircollect.audit.checkpoint_store import store_checkpoint
from faircollect.audit.log import read_entries
from faircollect.audit.tree import hash_ranges
from faircollect.errors import InputError, IntegrityError
from faircollect.store.tables.audit import audit_checkpoints

BUNDLE_FORMAT = "faircollect-audit-bundle/1"


def build_bundle(conn: Connection, key: Ed25519PrivateKey, *, first: int, last: int,
                 now: datetime, origin: str = cp.DEFAULT_ORIGIN) -> dict[str, Any]:
    """The bundle for entries first..last (inclusive), proven against a new checkpoint."""
    note = store_checkpoint(conn, key, now=now, origin=origin)
    head = cp.parse(note)
    if not 0 <= first <= last < head.size:
        raise InputError(f"entries {first}..{last} are not all in the log (it holds "
                         f"0..{head.size - 1})" if head.size else "the audit log is empty",
                         field="range")
    entries = read_entries(conn, first, last + 1)
    if len(entries) != last + 1 - first:
        raise IntegrityError("audit log damaged: entries are missing; run `faircollect audit "
                             "verify`", seq=first)
    ranges = [merkle.inclusion_ranges(e.seq, head.size) for e in entries]
    flat = [r for rs in ranges for r in rs]
    hashes = iter(hash_ranges(conn, flat))  # one batched read for all the proofs
    out_entries = []
    for entry, rs in zip(entries, ranges, strict=True):
        proof = [next(hashes).hex() for _ in rs]
        out_entries.append({**entry.to_dict(), "proof": proof})
    c = audit_checkpoints.c
    history = []
    for size, old_note in conn.execute(
        select(c.size, c.note).where(c.size < head.size).order_by(c.size)
    ):
        hashes_c = hash_ranges(conn, merkle.consistency_ranges(int(size), head.size))
        history.append({"checkpoint": old_note, "proof": [h.hex() for h in hashes_c]})
    return {
        "format": BUNDLE_FORMAT,
        "verifier_key": cp.verifier_key(origin, key.public_key()),
        "checkpoint": note,
        "history": history,
        "first": first,
        "last": last,
        "entries": out_entries,
    }
