"""Every message in the borrower's language: validation refuses a set missing a served locale.

The UK pack is made to serve two locales (en and zh-CN) and the shipped UK playbook is given
a zh-CN twin of each template (the CN library's words, relabelled UK) and of each
announcement. That set is accepted; dropping any one locale of any step, of the round
notice, of an announcement, or of a case notice is refused with an error naming the step,
the kind of message and the missing locale.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from faircollect.cases.notice_catalogue import NoticeCatalogue, notice_catalogue
from faircollect.errors import ConfigError
from faircollect.policy.pack import Pack, resolve_pack
from faircollect.strategy.messages import MessageTemplate, TemplateLibrary, library_templates
from faircollect.strategy.playbook import parse_playbook
from faircollect.strategy.validation import validate, validate_notices

UK_BOOK = Path(__file__).parents[3] / "src/faircollect/strategy/playbooks/uk-standard.yaml"
# The zh-CN twin of each UK template: the CN library template of the same kind.
TWINS = {
    "uk-pre-due-sms": "cn-pre-due-sms", "uk-early-sms": "cn-early-sms",
    "uk-mid-call": "cn-mid-call", "uk-locate-sms": "cn-locate-sms",
    "uk-late-letter": "cn-late-letter", "uk-round-notice-letter": "cn-round-notice-letter",
    "uk-dispute-ack-letter": "cn-dispute-ack-letter", "uk-dispute-ack-sms": "cn-dispute-ack-sms",
    "uk-dispute-ack-email": "cn-dispute-ack-email",
    "uk-dispute-outcome-letter": "cn-dispute-outcome-letter",
    "uk-dispute-outcome-sms": "cn-dispute-outcome-sms",
    "uk-dispute-outcome-email": "cn-dispute-outcome-email",
}
ANNOUNCE_ZH = {
    "early": "若到期未还款，我们将从逾期第1天起以短信提醒您，并提供帮助",
    "mid": "若仍未还款，逾期第21天起我们将致电与您商量可负担的还款方式",
    "uk-mid-locate": "我们多次联系不上您，3天后将请您指定的联系人转告您回电（不会说明原因）",
    "late": "若仍未还款，逾期第61天起我们将寄送书面信函，说明余额和您的选择",
}


def _pack(*locales: str) -> Pack:
    return dataclasses.replace(resolve_pack("UK"), locales=locales)


def _templates() -> TemplateLibrary:
    base = library_templates()
    out = dict(base.templates)
    for uk, cn in TWINS.items():
        src = base.templates[cn]
        out[f"{uk}-zh"] = dataclasses.replace(src, id=f"{uk}-zh", jurisdiction="UK")
    return TemplateLibrary("test:two-locales", out)


def _doc() -> dict[str, Any]:
    """The UK playbook with every template and announcement given in en and zh-CN."""
    doc: dict[str, Any] = yaml.safe_load(UK_BOOK.read_text("utf-8"))
    notice = doc["notice"]
    notice["template"] = {"en": notice["template"], "zh-CN": f"{notice['template']}-zh"}
    for stage in doc["stages"]:
        if "announce" in stage:
            stage["announce"] = {"en": stage["announce"], "zh-CN": ANNOUNCE_ZH[stage["name"]]}
        for step in stage["steps"]:
            step["template"] = {"en": step["template"], "zh-CN": f"{step['template']}-zh"}
            if "announce" in step:
                step["announce"] = {"en": step["announce"], "zh-CN": ANNOUNCE_ZH[step["id"]]}
    return doc


def _validate(doc: dict[str, Any], pack: Pack) -> None:
    book = parse_playbook(yaml.safe_dump(doc, allow_unicode=True), "two-locales.yaml")
    validate(book, pack, _templates())


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for stage in doc["stages"] for step in stage["steps"]]


def test_a_template_for_every_served_locale_is_accepted() -> None:
    _validate(_doc(), _pack("en", "zh-CN"))
    validate_notices(_pack("en", "zh-CN"), _templates(), _catalogue_with_zh())


STEP_IDS = [s["id"] for s in _steps(yaml.safe_load(UK_BOOK.read_text("utf-8")))]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("step_id", STEP_IDS)
def test_a_step_missing_a_served_locale_is_refused(step_id: str, locale: str) -> None:
    doc = _doc()
    step = next(s for s in _steps(doc) if s["id"] == step_id)
    del step["template"][locale]
    with pytest.raises(ConfigError) as err:
        _validate(doc, _pack("en", "zh-CN"))
    assert f"step {step_id} (message): no template for locale {locale}" in str(err.value)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_round_notice_missing_a_served_locale_is_refused(locale: str) -> None:
    doc = _doc()
    del doc["notice"]["template"][locale]
    with pytest.raises(ConfigError) as err:
        _validate(doc, _pack("en", "zh-CN"))
    assert f"notice (notice): no template for locale {locale}" in str(err.value)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("where", ["stage mid", "step uk-mid-locate"])
def test_an_announcement_missing_a_served_locale_is_refused(where: str, locale: str) -> None:
    doc = _doc()
    owner = doc["stages"][2] if where == "stage mid" else next(
        s for s in _steps(doc) if s["id"] == "uk-mid-locate")
    del owner["announce"][locale]
    with pytest.raises(ConfigError) as err:
        _validate(doc, _pack("en", "zh-CN"))
    assert f"{where} (announcement): no text for locale {locale}" in str(err.value)


def test_one_plain_text_is_not_taken_for_every_language() -> None:
    doc = _doc()
    doc["stages"][1]["announce"] = doc["stages"][1]["announce"]["en"]
    with pytest.raises(ConfigError, match=r"stage early \(announcement\): no text for locale"):
        _validate(doc, _pack("en", "zh-CN"))


def test_a_single_template_serves_only_its_own_locale() -> None:
    # The shipped UK playbook names one (English) template per step: fine while the pack
    # serves en only, refused once it also serves zh-CN.
    book = parse_playbook(UK_BOOK.read_text("utf-8"), UK_BOOK.name)
    validate(book, _pack("en"), library_templates())
    with pytest.raises(ConfigError, match=r"notice \(notice\): no template for locale zh-CN"):
        validate(book, _pack("en", "zh-CN"), library_templates())


def test_a_template_under_the_wrong_locale_or_an_unserved_one_is_refused() -> None:
    doc = _doc()
    step = _steps(doc)[0]
    step["template"] = {"en": step["template"]["zh-CN"], "zh-CN": step["template"]["en"]}
    with pytest.raises(ConfigError, match="is written in zh-CN, but is listed for locale en"):
        _validate(doc, _pack("en", "zh-CN"))
    with pytest.raises(ConfigError, match="which pack uk-2026.2 does not serve"):
        _validate(_doc(), _pack("en"))


def test_a_pack_that_declares_no_locales_refuses_every_playbook() -> None:
    book = parse_playbook(UK_BOOK.read_text("utf-8"), UK_BOOK.name)
    with pytest.raises(ConfigError, match="declares no served locales"):
        validate(book, _pack(), library_templates())


def _catalogue_with_zh(drop: tuple[str, str] | None = None) -> NoticeCatalogue:
    base = notice_catalogue()
    kinds = {k: {j: dict(locs) for j, locs in by_jur.items()} for k, by_jur in base.kinds.items()}
    for kind, by_jur in kinds.items():
        by_jur["UK"]["zh-CN"] = {ch: f"{tid}-zh" for ch, tid in by_jur["UK"]["en"].items()}
        if drop is not None and drop[0] == kind:
            del by_jur["UK"][drop[1]]
    return NoticeCatalogue(base.version, kinds, base.words)


def test_the_shipped_case_notices_cover_every_served_locale() -> None:
    for jur in ("CN", "US", "UK"):
        validate_notices(resolve_pack(jur), library_templates())


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("kind", ["dispute_acknowledgement", "dispute_resolution"])
def test_a_case_notice_missing_a_served_locale_is_refused(kind: str, locale: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate_notices(_pack("en", "zh-CN"), _templates(), _catalogue_with_zh((kind, locale)))
    assert f"notice {kind} (case notice): no template for locale {locale}" in str(err.value)


def test_a_case_notice_template_in_another_language_is_refused() -> None:
    templates = _templates()
    wrong = dict(templates.templates)
    wrong["uk-dispute-ack-letter-zh"] = dataclasses.replace(
        wrong["uk-dispute-ack-letter"], id="uk-dispute-ack-letter-zh")  # English words
    with pytest.raises(ConfigError, match="is in en by letter"):
        validate_notices(_pack("en", "zh-CN"), TemplateLibrary("t", wrong), _catalogue_with_zh())


def test_unapproved_twins_are_refused() -> None:
    templates = {k: dataclasses.replace(v, approved=not k.endswith("-zh"))
                 for k, v in _templates().templates.items()}
    source = TemplateLibrary("t", templates)
    with pytest.raises(ConfigError, match="no approved version"):
        validate_notices(_pack("en", "zh-CN"), source, _catalogue_with_zh())
    assert all(isinstance(t, MessageTemplate) for t in templates.values())
