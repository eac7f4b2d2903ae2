"""Progress bars: a total and an ETA on a terminal, nothing when piped or with --quiet.

The installed `faircollect` runs as a subprocess; for the terminal case its standard error is
a pseudo-terminal (python's `pty`), its standard output a pipe, as in `faircollect ... --json
| jq` typed at a prompt. Standard output must hold the JSON and nothing else either way.
"""

from __future__ import annotations

import csv
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "faircollect"
FC = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "faircollect"]
ANSI = re.compile(r"\x1b\[")
ETA = re.compile(r"ETA\s+(?:\x1b\[[0-9;]*m)*\d+:\d\d:\d\d")  # a time left, not -:--:--


@dataclass
class Run:
    code: int
    out: str
    err: str


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "FAIRCOLLECT_HOME": str(home), "TERM": "xterm-256color",
           "COLUMNS": "120", "FAIRCOLLECT_CHANNEL": f"file:{home / 'sent'}"}
    # Whatever the outer environment says, let the streams alone decide what Rich sees.
    for name in ("FAIRCOLLECT_DATABASE_URL", "FAIRCOLLECT_DEBUG", "FORCE_COLOR", "NO_COLOR",
                 "TTY_COMPATIBLE", "TTY_INTERACTIVE", "FAIRCOLLECT_ACTOR", "FAIRCOLLECT_ROLES"):
        env.pop(name, None)
    return env


def piped(args: list[str], home: Path) -> Run:
    r = subprocess.run([*FC, *args], capture_output=True, text=True, env=_env(home),
                       timeout=300, stdin=subprocess.DEVNULL)
    return Run(r.returncode, r.stdout, r.stderr)


def on_terminal(args: list[str], home: Path) -> Run:
    """Run with standard error on a pseudo-terminal and standard output on a pipe."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*FC, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=slave, env=_env(home), close_fds=True)
    os.close(slave)
    assert proc.stdout is not None
    out_fd = proc.stdout.fileno()
    chunks: dict[int, list[bytes]] = {master: [], out_fd: []}
    open_fds = {master, out_fd}
    deadline = time.monotonic() + 300
    while open_fds and time.monotonic() < deadline:
        ready, _, _ = select.select(list(open_fds), [], [], 1.0)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the terminal's other end closed (EIO on Linux)
                data = b""
            if data:
                chunks[fd].append(data)
            else:
                open_fds.discard(fd)
    code = proc.wait(timeout=60)
    os.close(master)
    proc.stdout.close()
    return Run(code, b"".join(chunks[out_fd]).decode("utf-8"),
               b"".join(chunks[master]).decode("utf-8", "replace"))


def _approve_starter_templates(home: Path) -> None:
    """The cycle sends approved templates only: add, submit and approve the starter library."""
    for args, actor, roles in ((["add", "--from-library"], "writer", ""),
                               (["submit", "--all"], "writer", ""),
                               (["approve", "--all"], "officer", "compliance")):
        env = {**_env(home), "FAIRCOLLECT_ACTOR": actor, "FAIRCOLLECT_ROLES": roles}
        r = subprocess.run([*FC, "templates", *args], capture_output=True, text=True, env=env,
                           timeout=300, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr


def _data_rows(folder: Path) -> int:
    total = 0
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8") as fh:
            total += sum(1 for _ in csv.DictReader(fh))
    return total


@dataclass
class Seeded:
    folder: Path  # the portfolio's files
    home: Path  # a home that imported them and approved the starter templates

    def copy(self, to: Path) -> Path:
        """A home of one's own to change (its database and keyring copied)."""
        shutil.copytree(self.home, to)
        return to


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    root = tmp_path_factory.mktemp("progress")
    folder, home = root / "portfolio", root / "home"
    r = piped(["generate", str(folder), "--borrowers", "400", "--as-of", "2026-10-31"], home)
    assert r.code == 0, r.err
    r = piped(["import", str(folder)], home)
    assert r.code == 0, r.err
    _approve_starter_templates(home)
    return Seeded(folder, home)


@pytest.mark.slow
def test_piped_output_has_no_progress_bar_and_no_ansi_codes(
        seeded: Seeded, tmp_path: Path) -> None:
    home = seeded.copy(tmp_path / "home")
    portfolio = seeded.folder
    runs = [
        piped(["generate", str(tmp_path / "pf"), "--borrowers", "1500", "--as-of",
               "2026-10-31", "--json"], home),
        piped(["import", str(portfolio), "--json"], home),
        piped(["cycle", "--from", "2026-11-01", "--to", "2026-11-03", "--json"], home),
        piped(["dispatch", "--until-empty", "--json"], home),
        piped(["keys", "rotate", "--json"], home),
        piped(["retention", "run", "--as-of", "2026-11-03", "--dry-run", "--json"], home),
        piped(["policy", "replay", "--pack", "US", "--from", "2026-11-01", "--to", "2026-11-03",
               "--json"], home),
    ]
    for r in runs:
        assert r.code == 0, r.err
        # JSON Lines (none for an empty list), or replay's one indented document.
        docs = [r.out] if r.out.startswith("{\n") else r.out.splitlines()
        assert all(isinstance(json.loads(d), dict) for d in docs)
    runs += [piped(["import", str(portfolio)], home),  # the table view, piped
             piped(["cycle", "--date", "2026-11-04"], home)]
    for r in runs:
        assert r.code == 0, r.err
        assert not ANSI.search(r.out) and not ANSI.search(r.err), (r.out[-500:], r.err[-500:])
        assert "ETA" not in r.err and "━" not in r.err
    assert "borrowers" in runs[-2].out and "unchanged" in runs[-2].out


@pytest.mark.slow
def test_terminal_shows_total_and_eta_and_quiet_hides_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    folder = tmp_path / "pf"
    r = on_terminal(["generate", str(folder), "--borrowers", "4000", "--as-of", "2026-10-31",
                     "--json"], home)
    assert r.code == 0, r.err
    assert "/4,000 borrowers" in r.err, r.err[-800:]
    assert ETA.search(r.err), r.err[-800:]
    assert json.loads(r.out)["borrowers"] == 4000 and not ANSI.search(r.out)
    quiet = on_terminal(["generate", str(folder), "--borrowers", "4000", "--as-of",
                         "2026-10-31", "--json", "--quiet"], home)
    assert quiet.code == 0 and quiet.err == "", quiet.err[-800:]
    assert json.loads(quiet.out)["borrowers"] == 4000


@pytest.mark.slow
def test_terminal_bars_of_import_cycle_and_others(seeded: Seeded, tmp_path: Path) -> None:
    home = seeded.copy(tmp_path / "home")
    portfolio = seeded.folder
    # A re-import still reads and checks every row: the bar counts them all.
    imported = on_terminal(["import", str(portfolio), "--json"], home)
    assert imported.code == 0, imported.err
    assert f"/{_data_rows(portfolio):,} rows" in imported.err, imported.err[-800:]
    assert "ETA" in imported.err
    assert json.loads(imported.out)["counts"]["borrowers"]["unchanged"] == 400

    cycle = on_terminal(["cycle", "--from", "2026-11-01", "--to", "2026-11-03", "--json"], home)
    assert cycle.code == 0, cycle.err
    assert "/3 days" in cycle.err and "ETA" in cycle.err, cycle.err[-800:]
    assert [json.loads(line)["day"] for line in cycle.out.splitlines()] == [
        "2026-11-01", "2026-11-02", "2026-11-03"]

    sent = on_terminal(["dispatch", "--until-empty", "--batch", "20", "--json"], home)
    assert sent.code == 0, sent.err
    claimed = json.loads(sent.out)["claimed"]
    assert claimed > 20 and f"{claimed:,}/{claimed:,} messages" in sent.err, sent.err[-800:]

    rotated = on_terminal(["keys", "rotate", "--json"], home)
    assert rotated.code == 0, rotated.err
    assert "/400 data keys" in rotated.err and "ETA" in rotated.err, rotated.err[-800:]
    assert json.loads(rotated.out)["rewrapped"] == 400

    replay = on_terminal(["policy", "replay", "--pack", "US", "--from", "2026-11-01", "--to",
                          "2026-11-03", "--json"], home)
    assert replay.code == 0, replay.err
    considered = json.loads(replay.out)["considered"]
    assert f"{considered:,}/{considered:,} decisions" in replay.err, replay.err[-800:]

    lines = '{"id":"t","locale":"en","audience":"borrower","body":"Hello {name}."}\n' * 50
    (tmp_path / "many.jsonl").write_text(lines, encoding="utf-8")
    lint = on_terminal(["templates", "lint", str(tmp_path / "many.jsonl")], home)
    assert lint.code == 0 and "50/50 templates" in lint.err, lint.err[-800:]
    assert len(lint.out.splitlines()) == 50

    for quiet in (["cycle", "--date", "2026-11-04", "--json", "--quiet"],
                  ["keys", "rotate", "--json", "--quiet"],
                  ["templates", "lint", str(tmp_path / "many.jsonl"), "--quiet"]):
        r = on_terminal(quiet, home)
        assert r.code == 0, r.err
        assert "ETA" not in r.err and "━" not in r.err, (quiet, r.err[-800:])
