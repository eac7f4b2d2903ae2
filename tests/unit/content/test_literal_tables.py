"""The prefilter literal tables shipped beside the lexicons: current, equivalent, and ignored
when stale (a lexicon loads the same with or without its table, only faster with it)."""

from __future__ import annotations

import json
from importlib import resources

import pytest
import yaml

from faircollect.content import lexicon as lx
from faircollect.content.finding import LOCALES

FOLDER = resources.files("faircollect.content").joinpath("lexicons")


def _texts(locale: str) -> tuple[str, str]:
    return (FOLDER.joinpath(f"{locale}.yaml").read_text("utf-8"),
            FOLDER.joinpath(f"{locale}.literals.json").read_text("utf-8"))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_shipped_table_is_what_the_lexicon_derives(locale: str) -> None:
    text, table = _texts(locale)
    assert json.loads(table) == lx.literal_table(text), "run: python tools/lexicon_literals.py"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_lexicon_loaded_with_its_table_equals_one_derived_from_scratch(locale: str) -> None:
    text, table = _texts(locale)
    stored = lx.stored_literals(text, table)
    assert stored is not None
    derived = lx.parse(yaml.safe_load(text), source="t")
    loaded = lx.load(locale)
    assert [r.requires for r in loaded.rules] == [r.requires for r in derived.rules]
    assert [r.source for r in loaded.rules] == [r.source for r in derived.rules]
    assert loaded.triggers == derived.triggers and loaded.always == derived.always
    assert loaded.scanner.pattern is not None and derived.scanner.pattern is not None
    assert loaded.scanner.pattern.pattern == derived.scanner.pattern.pattern


def test_a_stale_or_broken_table_is_ignored_and_the_literals_derived() -> None:
    text, table = _texts("en")
    assert lx.stored_literals(text + "\n# edited\n", table) is None  # another lexicon text
    assert lx.stored_literals(text, "not json") is None
    assert lx.stored_literals(text, json.dumps({"lexicon_sha256": 1})) is None
    data = yaml.safe_load(text)
    n = sum(len(r["patterns"]) for r in data["rules"])
    wrong_count = [frozenset({"zzzz"})] * (n - 1)  # a table for another branch list
    assert [r.requires for r in lx.parse(data, source="t", literals=wrong_count).rules] == [
        r.requires for r in lx.parse(data, source="t").rules]


def test_rules_compile_on_first_use_to_the_same_pattern() -> None:
    rule = lx.parse(yaml.safe_load(_texts("en")[0]), source="t").rules[0]
    assert not rule._compiled
    pat = rule.pattern
    assert rule._compiled == [pat] and rule.pattern is pat
    assert pat.pattern == "|".join(f"(?:{b})" for b in rule.branches)
