"""Alembic environment: runs on the connection FairCollect hands it (never reads a URL)."""

from __future__ import annotations

from alembic import context

from faircollect.store import tables  # noqa: F401  (registers every table)
from faircollect.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
