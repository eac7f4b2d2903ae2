"""Shared fixtures: a store on SQLite and, where reachable, on PostgreSQL.

PostgreSQL tests skip with a clear reason only when no server answers; CI sets
FAIRCOLLECT_REQUIRE_POSTGRES=1 so an unreachable server fails the run instead.
Each PostgreSQL test gets its own schema, dropped afterwards.

Shared data (the public conformance examples) is read from $FAIRCOLLECT_SHARED, else from
<repository root>/../shared; a missing file skips with its path, or fails when CI=true or
FAIRCOLLECT_REQUIRE_SHARED=1.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from faircollect.config import Secret, Settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """The shared data folder: $FAIRCOLLECT_SHARED if set, else <repository root>/../shared."""
    env = os.environ.get("FAIRCOLLECT_SHARED")
    return Path(env) if env else REPO_ROOT.parent / "shared"


def shared_required() -> bool:
    """CI (CI=true) or FAIRCOLLECT_REQUIRE_SHARED=1: a missing shared file fails, not skips."""
    return (os.environ.get("CI", "").lower() == "true"
            or os.environ.get("FAIRCOLLECT_REQUIRE_SHARED") == "1")


def _shared_missing(relpath: str) -> tuple[Path, str | None]:
    path = shared_dir() / relpath
    if path.exists():
        return path, None
    return path, (f"shared data file {path} is not present (set FAIRCOLLECT_SHARED to the "
                  f"shared folder; it defaults to <repository root>/../shared)")


def require_shared(relpath: str) -> Path:
    """The shared file at relpath; skip when absent, or fail in CI / FAIRCOLLECT_REQUIRE_SHARED=1."""
    path, problem = _shared_missing(relpath)
    if problem:
        if shared_required():
            pytest.fail(problem)
        pytest.skip(problem)
    return path


def optional_shared(relpath: str) -> Path | None:
    """The shared file at relpath, or None locally when absent (still fails when required)."""
    path, problem = _shared_missing(relpath)
    if problem:
        if shared_required():
            pytest.fail(problem)
        return None
    return path


POLICY_EXAMPLES = "conformance/policy-examples.jsonl"


@pytest.fixture
def policy_examples() -> Path:
    """The public policy conformance examples (JSON lines) from the shared folder."""
    return require_shared(POLICY_EXAMPLES)


@pytest.fixture
def policy_examples_if_present() -> Path | None:
    """Like policy_examples, but None (no skip) locally when the shared folder is absent."""
    return optional_shared(POLICY_EXAMPLES)


PG_BASE = os.environ.get("FAIRCOLLECT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'faircollect[postgres]')"
    try:
        with psycopg.connect(PG_BASE.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means: not reachable
        return f"PostgreSQL at {PG_BASE.split('@')[-1]} is not reachable: {type(exc).__name__}"


_PG_PROBLEM: str | None | bool = False


def pg_problem() -> str | None:
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _pg_reachable()
    return _PG_PROBLEM  # type: ignore[return-value]


def require_pg() -> None:
    """Skip (or, in CI, fail) when PostgreSQL is not reachable."""
    problem = pg_problem()
    if problem:
        if os.environ.get("FAIRCOLLECT_REQUIRE_POSTGRES") == "1":
            pytest.fail(problem)
        pytest.skip(problem)


def pg_schema_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema; the schema is dropped afterwards."""
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    plain = PG_BASE.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'faircollect.db'}"
        return
    require_pg()
    yield from pg_schema_url()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema (for tests that only make sense there)."""
    require_pg()
    yield from pg_schema_url()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    return Settings(home=home, database_url=Secret(db_url))


@pytest.fixture
def store(settings: Settings):  # type: ignore[no-untyped-def]
    from faircollect.bootstrap import open_store

    s = open_store(settings)
    yield s
    s.dispose()


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from faircollect.bootstrap import build_app

    a = build_app(settings)
    yield a
    a.store.dispose()
