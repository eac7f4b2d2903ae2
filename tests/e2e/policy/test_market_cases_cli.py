"""The IN/NG/PH/KE/ID decision cases through `faircollect policy check`, as the conformance
checker reads them (the same cases the unit tests run through both engines)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.policy.test_heldout_cases import decisions, load, mismatch

CASES = Path(__file__).resolve().parents[2] / "unit/policy/market_cases.jsonl"


def test_market_cases_pass_through_the_cli(tmp_path: Path) -> None:
    cases = load(CASES)
    out = decisions(cases, tmp_path)
    failures = [f"{c['id']}: {why}" for c, d in zip(cases, out, strict=True)
                if (why := mismatch(c, d)) is not None]
    assert not failures, failures
