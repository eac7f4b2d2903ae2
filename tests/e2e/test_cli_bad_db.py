"""A --db that cannot be used: exit 1, one line on stderr naming where, no traceback, no password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "faircollect"
FC = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "faircollect"]
PASSWORD = "s3cret-Pa55"


def _run(db: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAIRCOLLECT_HOME": str(home), "COLUMNS": "80"}
    for name in ("FAIRCOLLECT_DATABASE_URL", "FAIRCOLLECT_DEBUG"):
        env.pop(name, None)
    return subprocess.run([*FC, "--db", db, "db", "status"], capture_output=True, text=True,
                          env=env, cwd=home, timeout=120)


@pytest.mark.parametrize(("db", "names"), [
    (f"postgresql://postgres:{PASSWORD}@127.0.0.1:5999/test",
     ["127.0.0.1:5999", "database test", "role postgres", "connection refused"]),
    (f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/no_such_db_fc",
     ["127.0.0.1:5432", "no_such_db_fc", "role postgres", "createdb"]),
    (f"postgresql://no_such_role_fc:{PASSWORD}@127.0.0.1:5432/test",
     ["127.0.0.1:5432", "database test", "no_such_role_fc", "createuser"]),
    (f"mysql://u:{PASSWORD}@127.0.0.1/x", ["'mysql' is not supported", "postgresql+psycopg://"]),
    (f"postgresql+nodriver://u:{PASSWORD}@127.0.0.1/x", ["'nodriver'", "postgresql+psycopg://"]),
    ("sqlite:////nonexistent-fc/dir/x.db", ["/nonexistent-fc/dir", "does not exist"]),
])
def test_bad_db_is_one_line_exit_1(
        request: pytest.FixtureRequest, tmp_path: Path, db: str, names: list[str]) -> None:
    if ":5432/" in db:
        request.getfixturevalue("pg_url")  # skips (or fails in CI) when no server answers
    r = _run(db, tmp_path)
    assert r.returncode == 1, (r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert PASSWORD not in r.stderr + r.stdout
    for name in names:
        assert name in lines[0], (name, lines[0])


def test_sqlite_path_that_is_a_folder(tmp_path: Path) -> None:
    r = _run(f"sqlite:///{tmp_path}", tmp_path)
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1, r.stderr
    assert "is a folder" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_sqlite_without_permission(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    r = _run(f"sqlite:///{locked / 'x.db'}", tmp_path)
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1, r.stderr
    assert "no permission" in r.stderr
