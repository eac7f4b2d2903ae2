"""Every part's tables, imported so that `metadata` knows them all."""

from faircollect.store.tables import foundation  # noqa: F401
