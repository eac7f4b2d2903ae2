"""Bad usage of the installed `faircollect`: exit 2, the usage line and one error line, no traceback.

Runs the console script (the one next to this interpreter) as a lender's engineer would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "faircollect"
FC = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "faircollect"]

NON_COMPLIANT = '{"id":"t1","locale":"en","audience":"third_party","body":"{name} owes us {amount}."}\n'
COMPLIANT = '{"id":"t2","locale":"en","audience":"borrower","body":"Hello {name}, please call us."}\n'


def _run(args: list[str], home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAIRCOLLECT_HOME": str(home), "COLUMNS": "200"}
    for name in ("FAIRCOLLECT_DATABASE_URL", "FAIRCOLLECT_DEBUG"):
        env.pop(name, None)
    return subprocess.run([*FC, *args], input=stdin, capture_output=True, text=True, env=env,
                          cwd=home, timeout=120)


def _no_traceback(r: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in r.stdout and "Traceback" not in r.stderr, (r.stdout, r.stderr)


def _error_lines(r: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in r.stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize(("args", "usage", "problem"), [
    (["nope"], "Usage: faircollect [OPTIONS] COMMAND", "No such command 'nope'"),
    (["--bogus"], "Usage: faircollect [OPTIONS] COMMAND", "No such option: --bogus"),
    (["templates", "nope"], "Usage: faircollect templates", "No such command 'nope'"),
    (["templates", "lint"], "Usage: faircollect templates lint", "Missing argument"),
    (["templates", "lint", "--bogus", "-"], "Usage: faircollect templates lint",
     "No such option: --bogus"),
    (["--db"], "Usage: faircollect [OPTIONS] COMMAND", "'--db' requires an argument"),
    (["templates", "show", "x", "--version", "abc"], "Usage: faircollect templates show",
     "Invalid value for '--version'"),
    (["templates", "show", "-v"], "Usage: faircollect templates show", "'-v' requires an argument"),
])
def test_usage_error_is_one_line_and_exit_2(
        tmp_path: Path, args: list[str], usage: str, problem: str) -> None:
    r = _run(args, tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    _no_traceback(r)
    assert usage in r.stderr
    errors = _error_lines(r)
    assert len(errors) == 1 and problem in errors[0], r.stderr


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize("command", [[], ["templates"], ["templates", "lint"]])
def test_help_exits_0(tmp_path: Path, flag: str, command: list[str]) -> None:
    r = _run([*command, flag], tmp_path)
    assert r.returncode == 0, (r.stdout, r.stderr)
    _no_traceback(r)
    assert "Usage:" in r.stdout and "faircollect" in r.stdout
    assert r.stderr == ""


def test_version_exits_0(tmp_path: Path) -> None:
    from faircollect import __version__

    r = _run(["--version"], tmp_path)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert r.stdout.strip() == f"faircollect {__version__}"
    _no_traceback(r)


@pytest.mark.parametrize("command", [[], ["templates"]])
def test_bare_command_prints_help_and_exits_2(tmp_path: Path, command: list[str]) -> None:
    r = _run(command, tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    _no_traceback(r)
    assert "Usage:" in r.stdout + r.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    r = _run(["--debug", "nope"], tmp_path)
    assert r.returncode == 2
    assert "Traceback" in r.stderr
    assert _error_lines(r) == ["error: No such command 'nope'."]


@pytest.mark.parametrize("value", ["[/bold]", "[bold red]x[/]", "[link=http://127.0.0.1]"])
def test_error_text_is_not_markup(tmp_path: Path, value: str) -> None:
    bad_usage = _run(["templates", value], tmp_path)
    assert bad_usage.returncode == 2, bad_usage.stderr
    _no_traceback(bad_usage)
    assert value in _error_lines(bad_usage)[0]
    bad_input = _run(["templates", "list", "--state", value], tmp_path)
    assert bad_input.returncode == 2, bad_input.stderr
    _no_traceback(bad_input)
    errors = _error_lines(bad_input)
    assert len(errors) == 1 and value in errors[0], bad_input.stderr


def test_lint_exit_codes(tmp_path: Path) -> None:
    both = NON_COMPLIANT + COMPLIANT
    default = _run(["templates", "lint", "-"], tmp_path, stdin=both)
    assert default.returncode == 0, default.stderr  # spec/template-lint.md: 0 whatever the findings
    strict = _run(["templates", "lint", "--strict", "-"], tmp_path, stdin=both)
    assert strict.returncode == 1, strict.stderr
    assert strict.stdout == default.stdout and len(strict.stdout.splitlines()) == 2
    report = _run(["templates", "lint", "--exit-zero", "-"], tmp_path, stdin=both)
    assert report.returncode == 0 and report.stdout == default.stdout
    clean = _run(["templates", "lint", "--strict", "-"], tmp_path, stdin=COMPLIANT)
    assert clean.returncode == 0, clean.stderr
    malformed = _run(["templates", "lint", "--strict", "-"], tmp_path, stdin="not json\n")
    assert malformed.returncode == 2
    _no_traceback(malformed)
    assert len(_error_lines(malformed)) == 1 and "<stdin>:1" in malformed.stderr


def test_piped_tables_are_never_cut_to_80_columns() -> None:
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "COLUMNS"}
    run = subprocess.run([sys.executable, "-m", "faircollect", "policy", "packs"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    rows = [line for line in run.stdout.splitlines() if "uk-" in line]
    # Each pack is one row with its whole title, and nothing was truncated with an ellipsis.
    assert len(rows) >= 1 and "Debt Respite Scheme 2020)" in rows[0]
    assert "…" not in run.stdout


def test_piped_help_keeps_a_readable_width() -> None:
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "COLUMNS"}
    run = subprocess.run([sys.executable, "-m", "faircollect", "consent", "grant", "--help"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "--expires" in run.stdout
    assert max(len(line) for line in run.stdout.splitlines()) <= 80


# -- faircollect import: bad folders and files are one error line, exit 2, no personal data --

_BORROWERS_GBK = (
    "borrower_id,full_name,national_id,phone,timezone,jurisdiction\r\n"
    "b-1,Ann Lee,QQ123456A,07911 123456,Europe/London,UK\r\n"
    "b-2,王小明,110101199003071234,138 1234 5699,Asia/Shanghai,CN\r\n"
).encode("gbk")
_LOANS = ("loan_id,borrower_id,principal,currency,annual_rate,term_months,disbursed_on,"
          "first_due_on\nL-1,b-2,1000.00,CNY,0.18,6,2026-01-01,2026-02-01\n")
_PII = ("王小明", "110101199003071234", "138 1234 5699", "13812345699", "Ann Lee", "QQ123456A",
        "07911 123456")


def _import_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "pf"
    folder.mkdir()
    (folder / "borrowers.csv").write_bytes(_BORROWERS_GBK)
    (folder / "loans.csv").write_text(_LOANS, encoding="utf-8")
    return folder


def _narrow(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAIRCOLLECT_HOME": str(home), "COLUMNS": "60"}
    for name in ("FAIRCOLLECT_DATABASE_URL", "FAIRCOLLECT_DEBUG"):
        env.pop(name, None)
    return subprocess.run([*FC, *args], capture_output=True, text=True, env=env, cwd=home,
                          timeout=120)


@pytest.mark.parametrize(("extra", "needle"), [
    ("borrowers.xlsx", "error: borrowers.xlsx: a spreadsheet cannot be imported"),
    ("payment.csv", "error: payment.csv: unknown file in the portfolio folder"),
    (None, "error: borrowers.csv:3: holds bytes that are not valid UTF-8"),
])
def test_import_errors_are_one_line_and_exit_2(
        tmp_path: Path, extra: str | None, needle: str) -> None:
    folder = _import_folder(tmp_path)
    if extra:
        (folder / extra).write_bytes(b"PK\x03\x04")
    r = _narrow(["import", str(folder), "--quiet"], tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    _no_traceback(r)
    # One line, even 60 columns wide (the only other line is a first run's keyring notice).
    others = [ln for ln in r.stderr.strip().splitlines() if not ln.startswith("error:")]
    assert all(ln.startswith("created a local keyring") for ln in others), r.stderr
    assert len(_error_lines(r)) == 1 and _error_lines(r)[0].startswith(needle), r.stderr
    if extra is None:
        assert "try --encoding gb18030" in r.stderr
    for value in _PII:
        assert value not in r.stdout + r.stderr


def test_import_with_encoding_gb18030(tmp_path: Path) -> None:
    folder = _import_folder(tmp_path)
    r = _narrow(["import", str(folder), "--quiet", "--encoding", "gb18030"], tmp_path)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "payments.csv: not present, 0 payments imported" in r.stdout
    for value in _PII:
        assert value not in r.stdout + r.stderr
    bad = _narrow(["import", str(folder), "--encoding", "latin-1"], tmp_path)
    assert bad.returncode == 2 and len(_error_lines(bad)) == 1, bad.stderr
    _no_traceback(bad)
