"""The held-out set from public reports: its two parts, its floors and the figures in the docs.

The tuning part may be used to widen the rules; the sealed part never is (see
`reports_figures.py`). These tests hold the split rule, the sealed file's integrity, the
tuning floor, and the docs to the figures the script computes, so nobody types a figure by
hand. Nothing here prints or reports a sealed row's text or id: only counts.
"""

from __future__ import annotations

import json

import pytest
from reports_figures import (
    DOCS,
    KINDS,
    LOCALES,
    SEALED_FROM_ROUND,
    blind_rows,
    docs_block,
    is_sealed,
    latest_sealed,
    live_sealed,
    load,
    load_sealed,
    load_sealed_rounds,
    measure,
    part_of,
    sealed_digest,
    tuning_figures,
)

from faircollect.content.batch import parse_lines
from faircollect.content.finding import UNTESTED_LOCALES, Category
from faircollect.content.linter import lexicon_version, lint
from faircollect.content.template import TemplateDraft
from faircollect.errors import ConfigError, InputError, RowError

MARKETS = {"IN", "NG", "KE", "PH", "ID"}
# is_sealed("x0") ... is_sealed("x15"): a change of salt, hash or threshold fails here
PINNED_SPLIT = [1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1]


def _check_row(r: dict[str, object]) -> bool:
    """A row's shape; returns a bool so that a failure names no sealed text."""
    if r["kind"] not in (*KINDS, "compliant"):
        return False
    if not set(r["expect"]) <= {c.value for c in Category}:  # type: ignore[call-overload]
        return False
    if r["kind"] == "compliant":
        return r["expect"] == [] and str(r["source"]).startswith("own:")
    # a violating message paraphrases a quoted one: its report is named with an address
    return bool(r["expect"]) and "https://" in str(r["source"])


def test_every_message_names_its_source_and_the_tuning_part_covers_every_kind() -> None:
    tune, sealed = load(), load_sealed()
    ids = [r["id"] for r in tune + sealed]
    assert len(set(ids)) == len(ids)
    assert {r["locale"] for r in tune} == {r["locale"] for r in sealed} == set(LOCALES)
    assert {r["market"] for r in tune} == MARKETS
    assert {r["market"] for r in sealed} <= MARKETS
    assert all(_check_row(r) for r in tune), [r["id"] for r in tune if not _check_row(r)]
    bad_sealed = sum(not _check_row(r) for r in sealed)
    assert bad_sealed == 0, f"{bad_sealed} sealed rows are malformed"
    for loc in LOCALES:
        kinds = {r["kind"] for r in tune if r["locale"] == loc}
        assert kinds == {*KINDS, "compliant"}, loc
        assert sum(1 for r in sealed if r["locale"] == loc and r["kind"] == "compliant") >= 5
        assert sum(1 for r in sealed if r["locale"] == loc and r["kind"] != "compliant") >= 15


def test_the_split_follows_the_hash_of_each_id_and_never_moves() -> None:
    tune, sealed = load(), load_sealed()
    assert all(r["split"] == "tune" and part_of(r) == "tune" for r in tune), [
        r["id"] for r in tune if part_of(r) != "tune"]
    misplaced = sum(not (r["split"] == "sealed" and part_of(r) == "sealed"
                         and r["round"] >= SEALED_FROM_ROUND) for r in sealed)
    assert misplaced == 0, f"{misplaced} sealed rows do not hash to the sealed part"
    # the rule itself, pinned: a change of salt or threshold would move rows
    assert [int(is_sealed(f"x{i}")) for i in range(16)] == PINNED_SPLIT
    assert sum(is_sealed(f"id-{i}") for i in range(2000)) in range(900, 1100)
    # the sealed file is the one the last sealed figures were taken on: editing, adding or
    # dropping a sealed row needs a new recorded measurement (--seal-record)
    assert load_sealed_rounds()[-1]["sealed_sha256"] == sealed_digest()


def test_the_tuning_part_is_caught_in_full_without_false_alarms() -> None:
    """Every family a round showed stays caught (a regression floor, not a measure)."""
    rows = load()
    assert not blind_rows([r for r in rows if r.get("round", 1) >= SEALED_FROM_ROUND]), (
        "a round's tuning rows are unmeasured: record them (--record N) and mark them")
    for loc in LOCALES:
        fig = measure(rows, loc)
        assert fig.recall == 1.0 and fig.flagged == 0, fig.misses


def test_both_parts_are_reported_and_the_sealed_record_is_current(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The sealed figures shown are the recorded ones, and they are what the current rules
    give: changing a rule without recording a sealed measurement fails here, and the failure
    shows no count (`assert same`), so the only way to see the sealed part is on record."""
    tune, sealed = tuning_figures(), latest_sealed()
    with capsys.disabled():
        print("\nreports corpus, tuning part: " + "; ".join(f.summary() for f in tune))
        print("reports corpus, sealed part (recorded): " + "; ".join(f.summary() for f in sealed))
    assert [f.locale for f in sealed] == list(LOCALES)
    last = {r["locale"]: r for r in load_sealed_rounds()}
    current = all(last[loc]["lexicon"] == lexicon_version(loc) for loc in LOCALES)
    assert current, "rules changed since the sealed part was recorded: --seal-record N --when after"
    live = live_sealed()
    assert all(f.misses == [] for f in live)  # nothing printable is kept for a sealed row
    same = all((dict(a.caught), dict(a.total), a.compliant, a.flagged)
               == (dict(b.caught), dict(b.total), b.compliant, b.flagged)
               for a, b in zip(sealed, live, strict=True))
    assert same, "the sealed record does not match the sealed part: --seal-record N --when after"
    for f in sealed:
        assert f.compliant >= 5 and f.flagged == 0, f.summary()


@pytest.mark.xfail(strict=True, reason=(
    "issue #18 asks >= 90 % English recall on the kinds from the reports; the sealed part "
    "(never tuned on) measured 20/24 (83 %) with en-2026.18 after round 7's tuning (18/24, "
    "75 %, before it). Strict: when a recorded sealed measurement meets the target this "
    "test passes and the marker must go."))
def test_english_recall_on_the_sealed_part_meets_the_target() -> None:
    (fig,) = [f for f in latest_sealed() if f.locale == "en"]  # held current by the test above
    assert fig.recall >= 0.90, fig.summary()


def test_the_docs_show_the_figures_the_script_computes() -> None:
    shown = docs_block() in DOCS.read_text("utf-8")
    assert shown, (
        "run: python tests/unit/content/reports_figures.py --write-docs")


def test_sealed_records_are_counts_only() -> None:
    for rec in load_sealed_rounds():
        assert set(rec) == {"round", "when", "locale", "lexicon", "caught", "total",
                            "compliant", "flagged", "sealed_sha256"}, json.dumps(sorted(rec))


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
