"""Held-out policy cases, written from decision-api.md and REGULATIONS.md alone, run through the CLI.

`heldout_cases.jsonl` holds cases in the conformance format (`{"id", "request", "expect"}`);
each is checked with the conformance checker's logic (allowed, expected categories a subset of
the returned ones, no categories when allowed, `next_allowed_at` equal as an instant when
expected), plus one stricter check: a case that expects `next_allowed_at: null` must get null.
Case ids ending in `-ambiguous` mark a reading the contract leaves open; their `note` says which.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
CASES = HERE / "heldout_cases.jsonl"


def load(path: Path) -> list[dict[str, Any]]:
    """The cases of a JSON Lines file, in order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_check(requests: list[dict[str, Any]], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`faircollect policy check FILE` over `requests` written as JSON Lines."""
    f = tmp_path / "requests.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "faircollect", "policy", "check", str(f)],
                          capture_output=True, text=True, check=False)


def decisions(cases: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    """One decision per case, from the CLI (exit 0 expected whatever the decisions)."""
    proc = run_check([c["request"] for c in cases], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(out) == len(cases)
    return out


def mismatch(case: dict[str, Any], d: dict[str, Any]) -> str | None:
    """Why decision `d` disagrees with the case's expectation, or None (conformance logic)."""
    e = case["expect"]
    cats = {v.get("category") for v in d.get("violations", [])}
    if d.get("allowed") != e["allowed"] or not set(e["categories"]) <= cats or (e["allowed"] and cats):
        return (f"expected allowed={e['allowed']} {e['categories']}, "
                f"got allowed={d.get('allowed')} {sorted(c or '' for c in cats)}")
    want = e.get("next_allowed_at")
    got = d.get("next_allowed_at")
    if want and (not got or datetime.fromisoformat(got) != datetime.fromisoformat(want)):
        return f"next_allowed_at {got} != {want}"
    if "next_allowed_at" in e and want is None and got is not None:
        return f"next_allowed_at {got} != null"
    return None


def test_heldout_file_is_broad() -> None:
    cases = load(CASES)
    ids = [c["id"] for c in cases]
    assert len(cases) >= 120 and len(set(ids)) == len(ids)
    assert {c["request"]["jurisdiction"][:2].upper() for c in cases} == {"CN", "US", "UK"}


def test_all_heldout_cases_pass(tmp_path: Path) -> None:
    cases = load(CASES)
    fails = [f"{c['id']}: {why}" for c, d in zip(cases, decisions(cases, tmp_path), strict=True)
             if (why := mismatch(c, d)) is not None]
    assert not fails, "\n".join(fails)


def test_allowed_decisions_have_no_next_allowed_at_and_name_the_pack(tmp_path: Path) -> None:
    cases = load(CASES)
    for c, d in zip(cases, decisions(cases, tmp_path), strict=True):
        assert d["pack"].startswith(c["request"]["jurisdiction"][:2].lower()), c["id"]
        if d["allowed"]:
            assert d["violations"] == [] and d["next_allowed_at"] is None, c["id"]


def _base() -> dict[str, Any]:
    return dict(load(CASES)[0]["request"])


def _set(path: str, value: Any) -> dict[str, Any]:
    """A copy of the first case's request with `path` (dotted) set to `value`, or removed."""
    req: dict[str, Any] = json.loads(json.dumps(_base()))
    *parents, last = path.split(".")
    node: dict[str, Any] = req
    for key in parents:
        node = node[key]
    if value is _DROP:
        del node[last]
    else:
        node[last] = value
    return req


_DROP = object()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("at", "2026-05-11T14:00:00", "at"),
        ("borrower.timezone", "Mars/Olympus", "borrower.timezone"),
        ("attempt.channel", "fax", "attempt.channel"),
        ("at", _DROP, "at"),
        ("borrower.timezone", _DROP, "borrower.timezone"),
        ("jurisdiction", "FR", "jurisdiction"),
    ],
    ids=["time-without-offset", "unknown-zone", "unknown-channel", "missing-at",
         "missing-timezone", "unknown-jurisdiction"],
)
def test_malformed_line_exits_2_naming_line_and_field(path: str, value: Any, field: str,
                                                       tmp_path: Path) -> None:
    """decision-api.md: malformed input is a message on stderr naming the line and field, exit 2,
    and (all-or-nothing) no decision on stdout even for the good line before it."""
    proc = run_check([_base(), _set(path, value)], tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "requests.jsonl:2" in proc.stderr and f"field {field}" in proc.stderr
