"""`faircollect doctor`: OK on a healthy home, FAIL with what to do otherwise, never creates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "faircollect"
FC = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "faircollect"]


def _run(args: list[str], home: Path, db: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAIRCOLLECT_HOME": str(home), "COLUMNS": "200"}
    for name in ("FAIRCOLLECT_DATABASE_URL", "FAIRCOLLECT_DEBUG", "FAIRCOLLECT_CHANNEL"):
        env.pop(name, None)
    pre = ["--db", db] if db else []
    return subprocess.run([*FC, *pre, *args], capture_output=True, text=True, env=env,
                          cwd=home.parent, timeout=300)


def _checks(home: Path, db: str | None = None) -> tuple[int, dict[str, dict[str, object]]]:
    r = _run(["doctor", "--json"], home, db)
    assert "Traceback" not in r.stderr, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    return r.returncode, {row["check"]: row for row in rows}


def _healthy(tmp_path: Path, db: str | None = None) -> Path:
    home = tmp_path / "home"
    for args in (["generate", str(tmp_path / "pf"), "--borrowers", "20", "--as-of", "2026-10-31"],
                 ["import", str(tmp_path / "pf")]):
        r = _run(args, home, db)
        assert r.returncode == 0, r.stderr
    return home


def test_empty_home_fails_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, checks = _checks(home)
    assert code == 1
    assert not checks["database"]["ok"] and "not initialised" in str(checks["database"]["detail"])
    assert not checks["keyring"]["ok"]
    assert not home.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_healthy_then_broken(request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> None:
    db = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    home = _healthy(tmp_path, db)
    code, checks = _checks(home, db)
    assert code == 0, checks
    assert all(c["ok"] for c in checks.values())
    assert "head" in str(checks["migrations"]["detail"])
    text = _run(["doctor"], home, db)
    assert text.returncode == 0 and all(line.startswith("OK ") for line in text.stdout.splitlines())

    ring = home / "keyring.json"
    saved = ring.read_text()
    data = json.loads(saved)
    data["masters"]["mk-other"] = data["masters"].pop(data["current"])
    data["current"] = "mk-other"
    ring.write_text(json.dumps(data))
    code, checks = _checks(home, db)
    assert code == 1 and not checks["keyring-data"]["ok"], checks

    ring.unlink()
    code, checks = _checks(home, db)
    assert code == 1 and not checks["keyring"]["ok"]
    assert "restore" in str(checks["keyring"]["detail"])
    assert not ring.exists()
