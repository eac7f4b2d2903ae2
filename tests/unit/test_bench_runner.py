"""benchmarks/run.py's summary: crashed benches and missed targets fail the run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

RUN_PY = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run_under_test", RUN_PY)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def met(ok: bool) -> dict[str, object]:
    return {"bench": "b", "figure": f"fig {ok}", "ours": 1.0, "target": ">= 1/s", "met": ok}


REPORTED = {"bench": "b", "figure": "reported only", "ours": 3.0, "target": None, "met": None}


def test_all_met_and_reported_rows_exit_zero(runner: ModuleType) -> None:
    s = runner.summarise([met(True), REPORTED, {"bench": "b", "figure": "no keys", "ours": 1}])
    assert s.exit_code == 0
    assert s.problems == []


def test_empty_run_exits_zero(runner: ModuleType) -> None:
    assert runner.summarise([]).exit_code == 0


def test_missed_target_exits_one(runner: ModuleType) -> None:
    s = runner.summarise([met(True), met(False), REPORTED])
    assert s.exit_code == 1
    assert s.missed == ["b: fig False (target >= 1/s)"]
    assert s.crashed == []


def test_crashed_bench_exits_one(runner: ModuleType) -> None:
    s = runner.summarise([met(True), {"bench": "audit", "figure": "FAILED: OSError: disk"}])
    assert s.exit_code == 1
    assert s.crashed == ["audit: FAILED: OSError: disk"]


@pytest.mark.parametrize("row", [
    {"bench": "b", "figure": "target, no met", "target": "<= 5 ms", "met": None},
    {"bench": "b", "figure": "met, no target", "target": None, "met": True},
    {"bench": "b", "figure": "met not a bool", "target": "<= 5 ms", "met": "yes"},
])
def test_inconsistent_rows_exit_one(runner: ModuleType, row: dict[str, object]) -> None:
    s = runner.summarise([row])
    assert s.exit_code == 1
    assert len(s.malformed) == 1


def test_main_returns_the_summary_exit_code(runner: ModuleType, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    bench_dir = tmp_path / "benches"
    bench_dir.mkdir()
    (bench_dir / "bench_ok.py").write_text(
        "def run(quick):\n    return [{'figure': 'f', 'target': '>= 1', 'met': True}]\n")
    (bench_dir / "bench_boom.py").write_text("def run(quick):\n    raise RuntimeError('boom')\n")
    monkeypatch.setattr(runner, "HERE", bench_dir)
    out = tmp_path / "out.json"
    assert runner.main(["--quick", "--only", "ok", "--json", str(out)]) == 0
    assert runner.main(["--quick", "--json", str(out)]) == 1
    assert "FAILED: RuntimeError: boom" in out.read_text()
