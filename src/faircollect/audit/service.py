"""The audit log's commands: checkpoint, prove, consistency, verify, export.

The service takes the store and the audit signing key (the key provider's `signing_key(
"audit")`, handed over by the composition root) and runs each command in one transaction.
Checkpoints and exports are not themselves logged: a checkpoint appended to the log would
move the head it just signed.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from faircollect.audit import checkpoint as cp
from faircollect.audit import merkle
from faircollect.audit.checkpoint_store import store_checkpoint
from faircollect.audit.export import build_bundle
from faircollect.audit.integrity import Report, verify_log
from faircollect.audit.log import check_size, read_entry, read_head
from faircollect.audit.tree import consistency_proof, inclusion_proof, root_at
from faircollect.errors import IntegrityError, NotFound
from faircollect.store.unit_of_work import Store


class AuditService:
    """Commands over the stored audit log."""

    def __init__(self, store: Store, signing_key: Ed25519PrivateKey, *,
                 origin: str = cp.DEFAULT_ORIGIN) -> None:
        self.store = store
        self._key = signing_key
        self.origin = origin

    def __repr__(self) -> str:
        return f"AuditService(origin={self.origin!r})"

    @property
    def verifier_key(self) -> str:
        """The public key in signed-note verifier form, for witnesses and regulators."""
        return cp.verifier_key(self.origin, self._key.public_key())

    @property
    def fingerprint(self) -> str:
        """The key's `SHA256:` fingerprint, which the lender publishes for regulators."""
        return cp.fingerprint(self.origin, self._key.public_key())

    def checkpoint(self) -> str:
        """Sign (or fetch, if already signed) the checkpoint of the current tree."""
        with self.store.engine.begin() as conn:
            return store_checkpoint(conn, self._key, now=self.store.clock(), origin=self.origin)

    def prove(self, seq: int, size: int | None = None) -> dict[str, Any]:
        """An entry with its inclusion proof in the tree of `size` (default: current)."""
        with self.store.engine.connect() as conn:
            tree_size = check_size(read_head(conn), size)
            entry = read_entry(conn, seq)
            if entry is None or seq >= tree_size:
                raise NotFound(f"no audit entry {seq} in a tree of {tree_size} entries",
                               seq=seq)
            proof = inclusion_proof(conn, seq, tree_size)
            top = root_at(conn, tree_size)
        if not entry.is_intact() or not merkle.verify_inclusion(
            entry.leaf, seq, tree_size, proof, top
        ):
            raise IntegrityError(f"audit entry {seq} does not match the stored tree; run "
                                 "`faircollect audit verify`", seq=seq)
        return {"entry": entry.to_dict(), "leaf_hash": entry.leaf.hex(), "tree_size": tree_size,
                "root": top.hex(), "proof": [h.hex() for h in proof]}

    def consistency(self, old: int, new: int | None = None) -> dict[str, Any]:
        """A consistency proof between two tree sizes (`new` defaults to the current one)."""
        with self.store.engine.connect() as conn:
            new_size = check_size(read_head(conn), new)
            proof = consistency_proof(conn, old, new_size)
            old_root, new_root = root_at(conn, old), root_at(conn, new_size)
        if not merkle.verify_consistency(old, new_size, old_root, new_root, proof):
            raise IntegrityError("the stored tree is not self-consistent; run "
                                 "`faircollect audit verify`")
        return {"old_size": old, "new_size": new_size, "old_root": old_root.hex(),
                "new_root": new_root.hex(), "proof": [h.hex() for h in proof]}

    def verify(self, kept: str | None = None) -> Report:
        """Recompute the whole log and check every checkpoint (and `kept`, if given)."""
        # Read-only (a plain BEGIN on SQLite): appends are not held up while it runs.
        with self.store.read() as conn:
            return verify_log(conn, self._key.public_key(), origin=self.origin, kept=kept)

    def export(self, first: int, last: int | None = None) -> dict[str, Any]:
        """A self-verifying bundle of entries first..last (inclusive; default: the newest)."""
        with self.store.engine.begin() as conn:
            if last is None:
                last = read_head(conn).size - 1
            return build_bundle(conn, self._key, first=first, last=last,
                                now=self.store.clock(), origin=self.origin)
