"""Run every benchmark side by side and print one table: figure, ours, peer or limit, ratio.

Usage: python benchmarks/run.py [--quick] [--only NAME ...] [--json OUT]
Each `bench_*.py` module exposes `run(quick: bool) -> list[dict]`; a figure is always
measured beside its peer or limit in the same run, so the ratio holds on any machine.
Exit code 1 when a bench crashes (a FAILED row) or a row misses its stated target; rows
that only report a figure have target None and met None and cannot fail.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", nargs="*", default=None, help="bench names, e.g. ledger audit")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args(argv)
    rows: list[dict[str, object]] = []
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        try:
            for row in _load(path).run(quick=args.quick):
                rows.append({"bench": name, **row})
        except Exception as exc:  # report and go on: one broken bench must not hide the others
            rows.append({"bench": name, "figure": f"{FAILED_PREFIX} {type(exc).__name__}: {exc}"})
        print(f"# {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    _print(rows)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2, default=str), encoding="utf-8")
    summary = summarise(rows)
    for line in summary.problems:
        print(line, file=sys.stderr)
    return summary.exit_code


FAILED_PREFIX = "FAILED:"


@dataclass(frozen=True)
class Summary:
    """What a run's rows add up to: crashed benches, missed targets and the exit code."""

    crashed: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return ([f"CRASHED {x}" for x in self.crashed] + [f"MISSED {x}" for x in self.missed]
                + [f"MALFORMED {x}" for x in self.malformed])

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


def summarise(rows: list[dict[str, object]]) -> Summary:
    """Sort rows into crashed (a FAILED figure), missed (a target with met False) and
    malformed (a target whose met is not a bool, or a met without a target).

    A row that only reports a figure has no target (None or absent) and no met; it cannot
    fail. Any crashed, missed or malformed row makes the exit code 1.
    """
    out = Summary()
    for r in rows:
        label = f"{r.get('bench', '?')}: {r.get('figure', '?')}"
        target, met = r.get("target"), r.get("met")
        if str(r.get("figure", "")).startswith(FAILED_PREFIX):
            out.crashed.append(label)
        elif target in (None, "") and met is None:
            continue
        elif target in (None, "") or not isinstance(met, bool):
            out.malformed.append(f"{label} (target {target!r}, met {met!r})")
        elif not met:
            out.missed.append(f"{label} (target {target})")
    return out


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "" if value is None else str(value)


def _print(rows: list[dict[str, object]]) -> None:
    head = (
        "bench",
        "figure",
        "ours",
        "unit",
        "peer or limit",
        "peer value",
        "ratio",
        "target",
        "met",
    )
    keys = ("bench", "figure", "ours", "unit", "peer", "peer_value", "ratio", "target", "met")
    table = [head] + [tuple(_fmt(r.get(k)) for k in keys) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    raise SystemExit(main())
