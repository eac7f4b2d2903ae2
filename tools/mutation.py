"""Mutation testing of the pure modules a change touches, with mutmut 3.

    python tools/mutation.py src/faircollect/audit/merkle.py [more modules or folders]
    python tools/mutation.py --children 2 --tests tests/unit/policy src/faircollect/policy/kinds.py

Each run works in a scratch copy of the repository (the source, the tests and a
pyproject.toml whose `[tool.mutmut]` names the modules asked for), so the checkout is never
touched and any set of modules can be chosen. mutmut copies the whole `src/` beside its
mutants and the copy is put first on the import path (the editable install of the checkout
would otherwise be imported instead). It prints one line per module (mutants, killed, timed
out, survived, the share killed, counting a timeout as killed) and writes every survivor's
diff to `mutation-report.md` (or `--report`), to be killed by a new test or listed as
equivalent, with why, in docs/testing.md.

Run it on the modules your change touches; a whole slice takes long (about two mutants a
second per core on merkle.py). The target (issue #20) is at least 90 % killed per module.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_KEY = re.compile(r"^(?P<module>[\w.]+)\.x[ε_]")


def _config(sources: list[str], tests: list[str]) -> str:
    quoted = ", ".join(json.dumps(s) for s in sources)
    selected = ", ".join(json.dumps(t) for t in tests)
    return (
        "\n[tool.mutmut]\n"
        f"source_paths = [{quoted}]\n"
        'also_copy = ["src/"]\n'
        f"pytest_add_cli_args_test_selection = [{selected}]\n"
        'pytest_add_cli_args = ["-p", "no:xdist", "-q", "-p", "no:cacheprovider"]\n'
    )


def _scratch(work: Path, sources: list[str], tests: list[str]) -> None:
    """The checkout's tracked files (tests read docs and data beside the code), without
    build products, and a pyproject.toml naming what to mutate."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if not (ROOT / name).is_file():
            continue
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, work / name)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    text = re.sub(r"\n\[tool\.mutmut\][^\[]*", "\n", text)
    (work / "pyproject.toml").write_text(text + _config(sources, tests), encoding="utf-8")


def _module_of(key: str) -> str:
    found = _KEY.match(key)
    return found.group("module") if found else key.rsplit(".", 1)[0]


def _tally(work: Path) -> dict[str, Counter[str]]:
    """Mutant outcomes per module, read from mutmut's own result files and named with
    mutmut's own table of exit codes."""
    from mutmut.stats import status_by_exit_code

    out: dict[str, Counter[str]] = defaultdict(Counter)
    for meta in (work / "mutants").rglob("*.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for key, code in data.get("exit_code_by_key", {}).items():
            out[_module_of(key)][status_by_exit_code[code]] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", help="modules or folders under src/ to mutate")
    parser.add_argument("--tests", action="append", default=None,
                        help="test folders that may kill the mutants (default tests/unit)")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--report", type=Path, default=ROOT / "mutation-report.md")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    args = parser.parse_args(argv)
    for s in args.sources:
        if not (ROOT / s).exists() or not s.startswith("src/"):
            parser.error(f"{s}: not a path under src/ of this repository")
    tests = args.tests or ["tests/unit"]
    mutmut = Path(sys.executable).with_name("mutmut")
    if not mutmut.exists():
        parser.error("mutmut is not installed in this environment: pip install -e '.[dev]'")
    work = Path(tempfile.mkdtemp(prefix="faircollect-mutation-"))
    try:
        _scratch(work, args.sources, tests)
        env = {**os.environ, "PYTHONPATH": "src", "FAIRCOLLECT_REQUIRE_NATIVE": "",
               "FAIRCOLLECT_SHARED": os.environ.get("FAIRCOLLECT_SHARED",
                                                    str(ROOT.parent / "shared"))}
        subprocess.run([str(mutmut), "run", "--max-children", str(args.children)],
                       cwd=work, env=env, check=False)
        tally = _tally(work)
        survivors = subprocess.run([str(mutmut), "results"], cwd=work, env=env,
                                   capture_output=True, text=True).stdout
        lines = ["# Mutation report", "", "| module | mutants | killed | timeout | survived |"
                 " no tests | killed % |", "|---|---|---|---|---|---|---|"]
        worst = 100.0
        for module, c in sorted(tally.items()):
            total = sum(c.values())
            dead = c["killed"] + c["timeout"]
            share = 100.0 * dead / total if total else 100.0
            worst = min(worst, share)
            row = (f"| {module} | {total} | {c['killed']} | {c['timeout']} | {c['survived']} |"
                   f" {c['no tests']} | {share:.1f} |")
            lines.append(row)
            print(f"{module}: {total} mutants, {dead} killed ({share:.1f} %),"
                  f" {c['survived']} survived, {c['no tests']} not covered")
        lines += ["", "## Survivors", ""]
        for line in survivors.splitlines():
            name = line.strip().split(":")[0]
            if not name or "survived" not in line:
                continue
            diff = subprocess.run([str(mutmut), "show", name], cwd=work, env=env,
                                  capture_output=True, text=True).stdout
            changed = [d for d in diff.splitlines()
                       if d[:1] in "+-" and not d.startswith(("+++", "---"))]
            lines += [f"### {name}", "", "```diff", *changed, "```", ""]
        args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"report: {args.report}")
        return 0 if worst >= 90.0 else 1
    finally:
        if args.keep:
            print(f"scratch copy kept at {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
