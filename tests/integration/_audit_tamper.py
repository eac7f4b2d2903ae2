"""Tampering with stored audit records, as a DBA with write access could."""

from __future__ import annotations

from sqlalchemy import Update, func, update

from faircollect.store.tables.audit import audit_entries


def edit_record(seq: int, old: str, new: str) -> Update:
    """An UPDATE that replaces `old` by `new` inside the record of entry `seq`."""
    c = audit_entries.c
    return update(audit_entries).where(c.seq == seq).values(
        record=func.replace(c.record, old, new))
