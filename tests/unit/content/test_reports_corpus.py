"""The held-out set from public reports: its shape, its floors and the figures in the docs.

The report half is the latest blind round (written before the rules it measures were widened);
the tuning half is every earlier round. `reports_figures.py` computes the figures the docs
show; these tests hold the docs to them, so nobody types a figure by hand.
"""

from __future__ import annotations

import pytest
from reports_figures import (
    DOCS,
    KINDS,
    LOCALES,
    docs_block,
    load,
    load_rounds,
    measure,
    report_rows,
    table,
)

from faircollect.content.batch import parse_lines
from faircollect.content.finding import UNTESTED_LOCALES, Category
from faircollect.content.linter import lint
from faircollect.content.template import TemplateDraft
from faircollect.errors import ConfigError, InputError, RowError

MARKETS = {"IN", "NG", "KE", "PH", "ID"}


def test_every_message_names_its_source_and_the_halves_cover_every_kind() -> None:
    rows = load()
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["locale"] for r in rows} == set(LOCALES)
    assert {r["market"] for r in rows} == MARKETS
    assert {r["split"] for r in rows} == {"tune", "report"}
    for r in rows:
        assert r["kind"] in (*KINDS, "compliant"), r["id"]
        assert set(r["expect"]) <= {c.value for c in Category}, r["id"]
        if r["kind"] == "compliant":
            assert r["expect"] == [] and r["source"].startswith("own:"), r["id"]
        else:  # a violating message paraphrases a quoted one: its report is named with an address
            assert r["expect"] and "https://" in r["source"], r["id"]
    for loc in LOCALES:
        for split in ("tune", "report"):
            kinds = {r["kind"] for r in rows if r["locale"] == loc and r["split"] == split}
            assert kinds == {*KINDS, "compliant"}, (loc, split)
    # the report half is one round, and no earlier
    assert len({r.get("round", 1) for r in report_rows(rows)}) == 1


def test_the_tuning_half_is_caught_in_full_without_false_alarms() -> None:
    """Every family an earlier round showed stays caught (a regression floor, not a measure)."""
    rows = [r for r in load() if r["split"] == "tune"]
    for loc in LOCALES:
        fig = measure(rows, loc)
        assert fig.recall == 1.0 and fig.flagged == 0, fig.misses


def test_no_compliant_reminder_of_the_report_half_is_flagged(
        capsys: pytest.CaptureFixture[str]) -> None:
    figs = [measure(report_rows(load()), loc) for loc in LOCALES]
    with capsys.disabled():
        print("\nreports corpus, report half\n" + table(figs, load_rounds()))
        for f in figs:
            print("\n".join(f.misses))
    for f in figs:
        assert f.compliant >= 10 and f.flagged == 0, f.misses


@pytest.mark.xfail(strict=True, reason=(
    "issue #18 asks >= 90 % English recall on the kinds from the reports; the latest blind "
    "round (7) measured 31/42 (74 %), rounds 4-7 between 53 % and 86 %. Strict: when a new "
    "blind round meets the target this test passes and the marker must go."))
def test_english_recall_on_the_report_half_meets_the_target() -> None:
    fig = measure(report_rows(load()), "en")
    assert fig.recall >= 0.90, fig.misses


def test_the_docs_show_the_figures_the_script_computes() -> None:
    assert docs_block() in DOCS.read_text("utf-8"), (
        "run: python tests/unit/content/reports_figures.py --write-docs")


@pytest.mark.parametrize("locale", sorted(UNTESTED_LOCALES))
def test_locales_without_a_tested_lexicon_are_refused_with_a_reason(locale: str) -> None:
    language = UNTESTED_LOCALES[locale]
    with pytest.raises(ConfigError, match=f"{locale} \\({language}\\) has no tested lexicon"):
        lint("Lipa deni yako leo.", locale=locale, audience="borrower", channel="sms")
    line = f'{{"id": "t", "locale": "{locale}", "audience": "borrower", "body": "x"}}'
    with pytest.raises(RowError, match="no tested lexicon") as err:
        parse_lines(["", line], source="templates.jsonl")
    assert err.value.fields == {"file": "templates.jsonl", "line": 2, "column": "locale"}
    with pytest.raises(InputError, match="no tested lexicon"):
        TemplateDraft("t-1", locale, "borrower", "reminder", "x")


def test_indonesian_templates_lint_and_register() -> None:
    assert lint("Yth. {name}, angsuran Anda {amount} jatuh tempo {due_date}.", locale="id-ID",
                audience="borrower", channel="sms") == []
    (f,) = lint("Dasar maling!", locale="id-ID", audience="borrower", channel=None)
    assert f.category is Category.INSULT and f.citation == "ID-CONDUCT"
    assert TemplateDraft("id-1", "id-ID", "borrower", "reminder", "Halo {name}.").locale == "id-ID"
