"""The held-out corpus: messages written independently of the rules, with hard floors.

`heldout_corpus.jsonl` was written before its author read the rule files or the tuning corpus,
so it measures how the lexicons generalise. One JSON object a line: `id`, `locale`,
`audience`, optional `channel`, `body` and `expect` (the categories a regulator would flag;
empty for a compliant message). The report prints precision and recall per category, counting
an extra category on a violating message against precision too, and the false-positive rate
(compliant messages flagged at all). Floors: every labelled category found on every violating
message, and fewer than 3% of compliant messages flagged.

Run ``python tests/unit/content/test_heldout_corpus.py`` for the table and the misses alone.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from faircollect.content.finding import Category
from faircollect.content.linter import lint

HELDOUT = Path(__file__).parent / "heldout_corpus.jsonl"


def load_heldout(path: Path = HELDOUT) -> list[dict[str, Any]]:
    """The corpus rows, `expect` as a set of category names."""
    rows: list[dict[str, Any]] = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            row["expect"] = set(row["expect"])
            rows.append(row)
    return rows


@dataclass
class Report:
    """Per-category counts, misses and false alarms of one corpus run."""

    rows: int = 0
    violating: int = 0
    compliant: int = 0
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def fp_rate(self) -> float:
        """Share of compliant messages with any finding."""
        return len(self.false_alarms) / self.compliant if self.compliant else 0.0

    def table(self) -> str:
        """The printable report."""
        lines = [f"{'category':24} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>10} {'recall':>8}"]
        for c in Category:
            t, p, n = self.tp[c.value], self.fp[c.value], self.fn[c.value]
            prec = t / (t + p) if t + p else 1.0
            rec = t / (t + n) if t + n else 1.0
            lines.append(f"{c.value:24} {t:>4} {p:>4} {n:>4} {prec:>10.3f} {rec:>8.3f}")
        lines.append(
            f"messages: {self.rows} ({self.violating} violating, {self.compliant} compliant); "
            f"violating fully caught: {self.violating - len(self.missed)}/{self.violating}; "
            f"false positive rate: {self.fp_rate:.3%}")
        return "\n".join(lines + self.missed + self.false_alarms + self.extra)


def evaluate(rows: list[dict[str, Any]]) -> Report:
    """Lint every row and compare with its labels."""
    rep = Report(rows=len(rows))
    for r in rows:
        found = {f.category.value for f in lint(r["body"], locale=r["locale"],
                                                audience=r["audience"], channel=r.get("channel"))}
        expect: set[str] = r["expect"]
        for c in Category:
            if c.value in found and c.value in expect:
                rep.tp[c.value] += 1
            elif c.value in found:
                rep.fp[c.value] += 1
            elif c.value in expect:
                rep.fn[c.value] += 1
        if expect:
            rep.violating += 1
            if expect - found:
                rep.missed.append(f"MISS {r['id']}: expected {sorted(expect)} got {sorted(found)}"
                                  f"  {r['body']!r}")
            elif found - expect:
                rep.extra.append(f"EXTRA {r['id']}: {sorted(found - expect)}  {r['body']!r}")
        else:
            rep.compliant += 1
            if found:
                rep.false_alarms.append(f"FP {r['id']}: {sorted(found)}  {r['body']!r}")
    return rep


def test_heldout_corpus_is_big_and_covers_every_category() -> None:
    rows = load_heldout()
    assert len(rows) >= 200
    assert {r["locale"] for r in rows} == {"zh-CN", "en"}
    assert set().union(*(r["expect"] for r in rows)) == {c.value for c in Category}
    assert sum(1 for r in rows if not r["expect"]) >= 80
    assert len({r["id"] for r in rows}) == len(rows)


def test_heldout_precision_recall(capsys: pytest.CaptureFixture[str]) -> None:
    rep = evaluate(load_heldout())
    with capsys.disabled():
        print("\nheld-out corpus\n" + rep.table())
    assert not rep.missed, rep.missed
    assert rep.fp_rate < 0.03, rep.false_alarms
    total_fp = sum(rep.fp.values())
    total_tp = sum(rep.tp.values())
    assert total_fp / (total_fp + total_tp) < 0.03, rep.extra + rep.false_alarms


if __name__ == "__main__":
    print(evaluate(load_heldout()).table())
