"""The CLI end to end: the demo runs and leaks nothing; a broken folder is refused whole."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

FC = [sys.executable, "-m", "faircollect"]


def _run(args: list[str], home: Path, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "FAIRCOLLECT_HOME": str(home)}
    env.pop("FAIRCOLLECT_DATABASE_URL", None)
    return subprocess.run([*FC, *args], capture_output=True, text=True, env=env, timeout=300, **kw)


def _personal_values(folder: Path) -> set[str]:
    values: set[str] = set()
    with (folder / "borrowers.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            values |= {row["full_name"], row["national_id"], row["email"]} - {""}
            values.add(row["phone"].replace(" ", ""))
    with (folder / "contacts.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            values.add(row["name"])
    return {v for v in values if len(v) >= 4}  # short names could occur by chance in binary


@pytest.mark.slow
def test_demo_runs_and_stores_no_plaintext(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = _run(["demo", "--borrowers", "1500", "--as-of", "2026-11-28"], home)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Delinquency as of 2026-11-28" in result.stdout
    assert (home / "report.html").exists()
    secrets = _personal_values(home / "demo-portfolio")
    assert len(secrets) > 1000
    logs = result.stdout + result.stderr
    stored = b"".join(p.read_bytes() for p in home.iterdir() if p.name.startswith("faircollect.db"))
    assert stored
    leaked = [s for s in secrets if s.encode() in stored or s in logs]
    assert leaked == []
    html = (home / "report.html").read_text(encoding="utf-8")
    assert not [s for s in secrets if s in html]


def test_import_of_a_broken_folder_exits_2_names_the_line_and_writes_nothing(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    folder = tmp_path / "portfolio"
    gen = _run(["generate", str(folder), "--borrowers", "30", "--as-of", "2026-11-28"], home)
    assert gen.returncode == 0, gen.stderr
    lines = (folder / "loans.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[6].split(",")
    cells[7] = "2020-01-01"  # first_due_on before disbursed_on
    lines[6] = ",".join(cells)
    (folder / "loans.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run(["import", str(folder), "--quiet"], home)
    assert result.returncode == 2
    assert "loans.csv:7 column first_due_on" in result.stderr
    status = _run(["db", "status"], home)
    assert status.returncode == 0
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
                "print(sum(c.execute(f'select count(*) from {t}').fetchone()[0] for t in "
                "('borrowers','contacts','consent_records','loans','payments')))"
            ),
            str(home / "faircollect.db"),
        ],
        capture_output=True,
        text=True,
    )
    assert check.stdout.strip() == "0"


def test_unknown_option_is_bad_input(tmp_path: Path) -> None:
    result = _run(["demo", "--borrowers", "0"], tmp_path)
    assert result.returncode == 2
    assert "--borrowers" in result.stderr


def _figures(home: Path, out: str) -> tuple[list[str], str, str]:
    """What a demo shows, less the paths, the timing and the per-run signing keys."""
    import re

    # The demo sign-ins' passwords and the contact-person link are random on every run.
    lines = [line for line in out.splitlines()
             if str(home) not in line and not line.startswith(("finished", "audit log:"))
             and ", password " not in line and "/contact/" not in line]
    def text(name: str) -> str:
        return re.sub(r"<[^>]+>", " ", (home / name).read_text(encoding="utf-8"))
    return lines, text("compliance.html"), text("report.html")


def test_the_demo_is_reproducible_and_refuses_a_home_with_data(tmp_path: Path) -> None:
    args = ["demo", "--borrowers", "300", "--days", "4", "--as-of", "2026-11-05", "--seed", "9"]
    one, two = tmp_path / "one", tmp_path / "two"
    first, second = _run(args, one), _run(args, two)
    assert first.returncode == second.returncode == 0, first.stderr[-2000:]
    assert _figures(one, first.stdout) == _figures(two, second.stdout)
    again = _run(args, one)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert "already holds 300 borrowers" in again.stderr and "--fresh" in again.stderr
    fresh = _run([*args, "--fresh"], one)
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    assert _figures(one, fresh.stdout) == _figures(two, second.stdout)
