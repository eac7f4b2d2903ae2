"""Playbooks for India, Nigeria, the Philippines, Kenya and Indonesia validate in their packs' locales."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from faircollect.errors import ConfigError
from faircollect.policy import resolve_pack
from faircollect.strategy.library import build_set, load_playbooks
from faircollect.strategy.messages import MessageTemplate, TemplateLibrary, library_templates
from faircollect.strategy.playbook import parse_playbook
from faircollect.strategy.validation import validate

SRC = Path(__file__).parents[3] / "src/faircollect"
MARKETS = {"IN": "in-standard-2026.1", "NG": "ng-standard-2026.1",
           "PH": "ph-standard-2026.1", "KE": "ke-standard-2026.1"}


def _doc(jurisdiction: str) -> dict[str, Any]:
    path = SRC / f"strategy/playbooks/{jurisdiction.lower()}-standard.yaml"
    return yaml.safe_load(path.read_text("utf-8"))  # type: ignore[no-any-return]


def _load(doc: dict[str, Any]) -> None:
    build_set([parse_playbook(yaml.safe_dump(doc, allow_unicode=True), "test.yaml")],
              library_templates())


@pytest.mark.parametrize(("jurisdiction", "book_id"), MARKETS.items())
def test_market_playbook_validates_and_writes_in_the_pack_locales(
        jurisdiction: str, book_id: str) -> None:
    books = load_playbooks(library_templates())
    book = books.playbooks[book_id]
    assert books.champion(jurisdiction, "standard") is book
    pack = resolve_pack(jurisdiction)
    assert pack.locales == ("en",)
    templates = library_templates()
    for _, step in book.steps():
        tpl = templates.get(step.template)
        assert tpl is not None and tpl.jurisdiction == jurisdiction and tpl.locale == "en"


@pytest.mark.parametrize(("jurisdiction", "change", "message"), [
    ("IN", lambda d: d["stages"][2]["steps"][0].update(hours=["17:00", "20:00"]), "IN-CALL-HOURS"),
    ("NG", lambda d: d["stages"][2]["steps"][0].update(hours=["20:00", "22:00"]), "NG-HOURS"),
    ("PH", lambda d: d["stages"][2]["steps"].append(
        {"id": "ph-locate", "channel": "sms", "audience": "designated_contact",
         "purpose": "locate", "template": "ke-locate-sms", "escalation": "contact_person",
         "hours": ["10:00", "18:00"], "every_days": 30, "max_attempts": 1,
         "announce": "In 3 days we will ask your contact person to pass on a message"}),
     "is for KE"),
    ("KE", lambda d: d["stages"][2]["steps"][0].update(hours=["07:00", "09:00"]), "KE-HOURS"),
    ("KE", lambda d: d["stages"][1]["steps"][0].update(template="in-early-sms"), "is for IN"),
])
def test_a_market_playbook_that_could_break_its_pack_is_refused(
        jurisdiction: str, change: Any, message: str) -> None:
    doc = _doc(jurisdiction)
    change(doc)
    with pytest.raises(ConfigError) as err:
        _load(doc)
    assert message in err.value.message


def test_a_philippine_contact_person_step_is_refused_by_the_pack() -> None:
    # Even with a Philippine locate template, SEC MC 18 lets no one but guarantors and
    # co-makers be contacted: the probe is denied by PH-CONTACT-LIST.
    lib = library_templates()
    locate = MessageTemplate(id="ph-locate-sms", jurisdiction="PH", locale="en", channel="sms",
                             audience="designated_contact", purpose="locate", approved=True,
                             body="Hello, this is {company}. Please ask someone you know to "
                                  "call {hotline}. {optout_link} Reply STOP to opt out.")
    source = TemplateLibrary("test", {**lib.templates, locate.id: locate})
    doc = _doc("PH")
    doc["stages"][2]["steps"].append(
        {"id": "ph-locate", "channel": "sms", "audience": "designated_contact",
         "purpose": "locate", "template": "ph-locate-sms", "escalation": "contact_person",
         "hours": ["10:00", "18:00"], "every_days": 30, "max_attempts": 1,
         "announce": "In 3 days we will ask your contact person to pass on a message"})
    book = parse_playbook(yaml.safe_dump(doc), "test.yaml")
    with pytest.raises(ConfigError, match="PH-CONTACT-LIST"):
        validate(book, resolve_pack("PH"), source)


def test_indonesia_playbook_validates_and_writes_in_bahasa_indonesia() -> None:
    books = load_playbooks(library_templates())
    book = books.playbooks["id-standard-2026.1"]
    assert books.champion("ID", "standard") is book
    assert resolve_pack("ID").locales == ("id-ID",)
    templates = library_templates()
    for _, step in book.steps():
        tpl = templates.get(step.template)
        assert tpl is not None and tpl.jurisdiction == "ID" and tpl.locale == "id-ID"


def test_an_indonesian_playbook_without_its_bahasa_templates_is_refused() -> None:
    lib = library_templates()
    english_only = TemplateLibrary("test", {k: t for k, t in lib.templates.items()
                                            if t.locale != "id-ID"})
    book = parse_playbook((SRC / "strategy/playbooks/id-standard.yaml").read_text("utf-8"),
                          "id-standard.yaml")
    with pytest.raises(ConfigError):
        validate(book, resolve_pack("ID"), english_only)


def test_id_id_templates_enter_the_registry_and_lint_clean() -> None:
    from faircollect.content.linter import lint
    from faircollect.content.template import TemplateDraft

    ids = [t for t in library_templates().templates.values() if t.locale == "id-ID"]
    assert len(ids) >= 10
    for t in ids:
        TemplateDraft(template_id=t.id, locale=t.locale, audience=t.audience,
                      purpose=t.purpose, body=t.body, channel=t.channel,
                      jurisdiction=t.jurisdiction)
        assert lint(t.body, locale="id-ID", audience=t.audience, channel=t.channel) == [], t.id
