"""The labelled corpus: precision and recall per category, printed, with hard floors.

Every violating message must be caught with all its labelled categories (recall 100%), and
fewer than 3% of the compliant messages may be flagged at all.
"""

from __future__ import annotations

from collections import Counter

import pytest
from content_corpus import load_corpus

from faircollect.content.finding import Category
from faircollect.content.linter import lint


def test_corpus_is_big_and_covers_every_category() -> None:
    rows = load_corpus()
    assert len(rows) >= 150
    assert {r["locale"] for r in rows} == {"zh-CN", "en"}
    labelled = set().union(*(r["expect"] for r in rows))
    assert labelled == {c.value for c in Category}
    compliant = [r for r in rows if not r["expect"]]
    assert len(compliant) >= 60  # many look-alikes, not only violations


def test_precision_recall_report(capsys: pytest.CaptureFixture[str]) -> None:
    rows = load_corpus()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    missed: list[str] = []
    false_alarms: list[str] = []
    for r in rows:
        found = {f.category.value for f in lint(r["body"], locale=r["locale"],
                                                audience=r["audience"], channel=r["channel"])}
        for c in Category:
            if c.value in found and c.value in r["expect"]:
                tp[c.value] += 1
            elif c.value in found:
                fp[c.value] += 1
            elif c.value in r["expect"]:
                fn[c.value] += 1
        if r["expect"] - found:
            missed.append(f"{r['id']}: expected {sorted(r['expect'])} got {sorted(found)}")
        if not r["expect"] and found:
            false_alarms.append(f"{r['id']}: {sorted(found)} on a compliant message")

    lines = [f"{'category':24} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>10} {'recall':>8}"]
    for c in Category:
        t, p, n = tp[c.value], fp[c.value], fn[c.value]
        prec = t / (t + p) if t + p else 1.0
        rec = t / (t + n) if t + n else 1.0
        lines.append(f"{c.value:24} {t:>4} {p:>4} {n:>4} {prec:>10.3f} {rec:>8.3f}")
    violating = [r for r in rows if r["expect"]]
    compliant = [r for r in rows if not r["expect"]]
    fp_rate = len(false_alarms) / len(compliant)
    lines.append(f"messages: {len(rows)} ({len(violating)} violating, {len(compliant)} compliant); "
                 f"violating caught: {len(violating) - len(missed)}/{len(violating)}; "
                 f"false positive rate: {fp_rate:.3%}")
    with capsys.disabled():
        print("\n" + "\n".join(lines + missed + false_alarms))

    assert not missed, missed
    assert fp_rate < 0.03, false_alarms
