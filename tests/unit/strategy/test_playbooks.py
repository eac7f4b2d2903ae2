"""Playbooks: the shipped set loads, and playbooks that could break a pack are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from faircollect.errors import ConfigError
from faircollect.strategy.library import build_set, load_playbooks
from faircollect.strategy.messages import library_templates
from faircollect.strategy.playbook import parse_playbook

SHIPPED = Path(__file__).parents[3] / "src/faircollect/strategy/playbooks/cn-standard.yaml"


def _doc() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(SHIPPED.read_text("utf-8"))  # type: ignore[no-any-return]


def _load(doc: dict) -> None:  # type: ignore[type-arg]
    build_set([parse_playbook(yaml.safe_dump(doc, allow_unicode=True), "test.yaml")],
              library_templates())


def _step(doc: dict, step_id: str) -> dict:  # type: ignore[type-arg]
    for stage in doc["stages"]:
        for step in stage["steps"]:
            if step["id"] == step_id:
                return step  # type: ignore[no-any-return]
    raise KeyError(step_id)


def test_shipped_playbooks_load_with_one_experiment() -> None:
    books = load_playbooks(library_templates())
    assert set(books.playbooks) == {"cn-standard-2026.1", "us-standard-2026.1",
                                    "us-calls-first-2026.1", "uk-standard-2026.1",
                                    "in-standard-2026.1", "ng-standard-2026.1",
                                    "ph-standard-2026.1", "ke-standard-2026.1"}
    assert [b.id for b in books.challengers("us-standard-2026.1")] == ["us-calls-first-2026.1"]
    assert books.champion("CN", "high-risk") is books.playbooks["cn-standard-2026.1"]


def test_the_unchanged_copy_is_accepted() -> None:
    _load(_doc())


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: _step(d, "cn-mid-locate").update(sources=["address_book"]), "address-book"),
    (lambda d: _step(d, "cn-mid-locate").update(purpose="collection"), "locate"),
    (lambda d: _step(d, "cn-early-sms").update(template="no-such-template"), "unknown template"),
    (lambda d: _step(d, "cn-early-call").update(hours=["07:00", "09:00"]), "CN-QUIET-HOURS"),
    (lambda d: _step(d, "cn-early-call").update(hours=["21:00", "23:00"]), "outside"),
    (lambda d: d["stages"][2].pop("announce"), "announce"),
    (lambda d: _step(d, "cn-mid-locate").pop("announce"), "announce"),
    (lambda d: _step(d, "cn-mid-locate").update(audience="third_party"), "audience"),
    (lambda d: d.update(notice_days=1), "notice_days"),
    (lambda d: _step(d, "cn-early-sms").update(template="us-early-sms"), "is for US"),
    (lambda d: _step(d, "cn-early-sms").update(template="cn-early-call"), "not what the step"),
    (lambda d: d["stages"][1].update(dpd=[0, 15]), "overlap"),
    (lambda d: _step(d, "cn-early-sms").update(colour="red"), "unknown keys"),
    (lambda d: _step(d, "cn-early-sms").update(valid_days=0), "valid_days"),
    (lambda d: _step(d, "cn-early-sms").update(valid_days=8), "at most 7"),
])
def test_a_playbook_that_could_break_a_pack_is_refused(change, message) -> None:  # type: ignore[no-untyped-def]
    doc = _doc()
    change(doc)
    with pytest.raises(ConfigError) as err:
        _load(doc)
    assert message in err.value.message
    assert "test.yaml" in err.value.message


def test_malformed_yaml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: [unclosed", "utf-8")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_playbooks(library_templates(), tmp_path)


def test_challenger_needs_an_existing_champion() -> None:
    doc = _doc()
    doc["id"] = "cn-test-2026.1"
    doc["experiment"] = {"name": "x", "champion": "cn-missing-2026.1", "share": 0.5}
    with pytest.raises(ConfigError, match="champion"):
        _load(doc)
