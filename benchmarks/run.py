"""Run every benchmark side by side and print one table: figure, ours, peer or limit, ratio.

Usage: python benchmarks/run.py [--quick] [--only NAME ...] [--json OUT]
Each `bench_*.py` module exposes `run(quick: bool) -> list[dict]`; a figure is always
measured beside its peer or limit in the same run, so the ratio holds on any machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
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
            rows.append({"bench": name, "figure": f"FAILED: {type(exc).__name__}: {exc}"})
        print(f"# {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    _print(rows)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2, default=str), encoding="utf-8")
    return 0 if all(r.get("met", True) for r in rows) else 1


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
