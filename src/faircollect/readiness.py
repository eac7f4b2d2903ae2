"""Readiness: is the database reachable and migrated, and is the keyring readable?

Used by `/readyz`. Each check names what failed in words that hold no secret (no URL, no
path beyond the file's name); nothing is created or migrated by checking.
"""

from __future__ import annotations

from dataclasses import dataclass

from faircollect.config import Settings
from faircollect.store.unit_of_work import Store


@dataclass(frozen=True, slots=True)
class Check:
    """One readiness check: its name, whether it passed, and why not."""

    name: str
    ok: bool
    reason: str | None = None


def _database(settings: Settings, store: Store | None) -> Check:
    from faircollect.store.engine import make_engine
    from faircollect.store.migrate import current_revision, head_revision

    engine = store.engine if store is not None else make_engine(settings)
    try:
        current = current_revision(engine)
    except Exception as exc:  # any driver error means: not reachable
        return Check("database", False, f"not reachable ({type(exc).__name__})")
    finally:
        if store is None:
            engine.dispose()
    head = head_revision()
    if current != head:
        return Check("database", False, f"not migrated (at {current or 'nothing'}, code needs "
                                        f"{head}; run faircollect db upgrade)")
    return Check("database", True)


def _keys(settings: Settings) -> Check:
    from faircollect.bootstrap import open_keys

    try:
        keys = open_keys(settings, None)  # no store: reads keys, never creates one
        if not keys.master_ids():
            return Check("keys", False, "the keyring holds no master key")
    except Exception as exc:  # a missing, unsafe or unreadable keyring
        return Check("keys", False, f"keyring not readable ({type(exc).__name__})")
    return Check("keys", True)


def readiness(settings: Settings, store: Store | None = None) -> list[Check]:
    """Every readiness check, in a fixed order."""
    return [_database(settings, store), _keys(settings)]
