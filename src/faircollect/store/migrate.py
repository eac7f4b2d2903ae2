"""Alembic migrations, applied on first use and by `faircollect db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

_SCRIPTS = Path(__file__).parent / "migrations"
# Any fixed number: serialises concurrent upgrades on PostgreSQL.
_PG_LOCK_KEY = 0x46414952


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # a packaging error, not user input
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> bool:
    """Bring the database to `revision` (the newest by default); whether anything ran."""
    target = head_revision() if revision == "head" else revision
    if current_revision(engine) == target:
        return False
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        if MigrationContext.configure(conn).get_current_revision() == target:
            return False
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    return True


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to `revision` (for operators undoing an upgrade, and tests)."""
    with engine.begin() as conn:
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
