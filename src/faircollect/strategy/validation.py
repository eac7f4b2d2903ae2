"""Playbook validation: refuse a playbook that could make the planner break a rule pack.

Structural checks give clear messages for the known ways to go wrong (a step aimed at
address-book contacts, a contact person asked for anything but locating, a template that
does not exist or does not fit, hours outside the pack's hours, a round without a notice).
Then every step is probed: a synthetic attempt at the start and the end of its preferred
hours, with every precondition the planner guarantees, must be allowed by the pack. A denial
there means the step could never be sent lawfully, so the playbook is refused.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from faircollect.cases.notice_catalogue import NoticeCatalogue, notice_catalogue
from faircollect.errors import ConfigError
from faircollect.policy.decide import decide
from faircollect.policy.pack import Pack
from faircollect.policy.params import ContactHours, PriorNotice
from faircollect.policy.request import CHANNELS, DecisionRequest, zone
from faircollect.strategy.messages import (
    OPTOUT_LINK,
    PLACEHOLDERS,
    MessageTemplate,
    TemplateSource,
    locale_templates,
    locale_texts,
    render,
)
from faircollect.strategy.playbook import STAGES, NoticeSpec, Playbook, Stage, Step, Window

# Representative zones for probing local-hour rules; the rules read local time only.
PROBE_ZONES: Final[dict[str, str]] = {
    "CN": "Asia/Shanghai", "US": "America/New_York", "UK": "Europe/London",
    "IN": "Asia/Kolkata", "NG": "Africa/Lagos", "PH": "Asia/Manila", "KE": "Africa/Nairobi",
    "ID": "Asia/Jakarta",
}
PROBE_DAY: Final = date(2026, 1, 15)
SAMPLE_VALUES: Final[dict[str, str]] = {
    "amount": "100.00", "due_date": "2026-01-20", "dpd": "5", "company": "FairCollect",
    "hotline": "400-000-0000",
    "optout_link": "http://127.0.0.1:8000/contact/AbCdEfGhIjKlMnOpQrStUvWxYz012345",
}
DISPATCH_CHANNELS: Final = ("sms", "email", "call", "letter", "app_push")


def _fail(book: Playbook, reason: str) -> ConfigError:
    return ConfigError(f"playbook {book.source or book.id}: {reason}", file=book.source,
                       playbook=book.id)


def _template(book: Playbook, templates: TemplateSource, tid: str, what: str) -> MessageTemplate:
    tpl = templates.get(tid)
    if tpl is None:
        raise _fail(book, f"{what}: unknown template {tid!r} (not in the template registry)")
    if not tpl.approved:
        raise _fail(book, f"{what}: template {tid!r} has no approved version in the registry")
    unknown = tpl.placeholders - PLACEHOLDERS
    if unknown:
        raise _fail(book, f"{what}: template {tid!r} uses placeholders the cycle cannot fill: "
                          f"{sorted(unknown)}")
    if tpl.jurisdiction != book.jurisdiction:
        raise _fail(book, f"{what}: template {tid!r} is for {tpl.jurisdiction}, "
                          f"not {book.jurisdiction}")
    return tpl


def _localised(book: Playbook, pack: Pack, templates: TemplateSource, spec: Step | NoticeSpec,
               what: str, kind: str) -> list[MessageTemplate]:
    """The templates of a step or notice, one per locale the pack serves, each checked.

    Refused: a template missing for any served locale (the error names the step, the kind of
    message and the locale), one listed under a locale it is not written in, and one for a
    locale the pack does not serve. No locale may borrow another's words.
    """
    if not pack.locales:
        raise _fail(book, f"pack {pack.id} declares no served locales (`locales:`), so no "
                          "message could be sent in its borrowers' language")
    by_locale = locale_templates(spec.template, spec.templates, templates)
    if not by_locale:  # a single template the registry does not hold: say so, by name
        _template(book, templates, spec.template, what)
    found: dict[str, MessageTemplate] = {}
    for locale, tid in by_locale.items():
        tpl = _template(book, templates, tid, what)
        if tpl.locale != locale:
            raise _fail(book, f"{what} ({kind}): template {tid!r} is written in {tpl.locale}, "
                              f"but is listed for locale {locale}")
        if locale not in pack.locales:
            raise _fail(book, f"{what} ({kind}): template {tid!r} is for locale {locale}, "
                              f"which pack {pack.id} does not serve "
                              f"({', '.join(pack.locales)})")
        found[locale] = tpl
    for locale in pack.locales:
        if locale not in found:
            raise _fail(book, f"{what} ({kind}): no template for locale {locale} (pack "
                              f"{pack.id} serves {', '.join(pack.locales)}; a borrower is "
                              "never written to in another language)")
    return [found[locale] for locale in pack.locales]


def _announcements(book: Playbook, pack: Pack) -> dict[str, list[str]]:
    """Every announcement of the book per served locale; refused when one lacks a locale."""
    rounds = [(f"stage {s.name}", s.announce, s.announces) for s in book.stages if s.announce]
    rounds += [(f"step {st.id}", st.announce, st.announces) for _, st in book.steps()
               if st.announce]
    out: dict[str, list[str]] = {locale: [] for locale in pack.locales}
    for what, text, pairs in rounds:
        texts = locale_texts(text, pairs, pack.locales)
        for locale in texts:
            if locale not in pack.locales:
                raise _fail(book, f"{what} (announcement): a text for locale {locale}, which "
                                  f"pack {pack.id} does not serve ({', '.join(pack.locales)})")
        for locale in pack.locales:
            if locale not in texts:
                raise _fail(book, f"{what} (announcement): no text for locale {locale} (pack "
                                  f"{pack.id} serves {', '.join(pack.locales)}); give "
                                  "`announce: {locale: text}` for each")
            out[locale].append(texts[locale])
    return out


def _pack_hours(pack: Pack, channel: str) -> list[tuple[str, Window]]:
    out = []
    for r in pack.rules:
        if isinstance(r.params, ContactHours) and (
            r.applies_to.channels is None or channel in r.applies_to.channels
        ):
            from faircollect.policy.request import clock_seconds

            out.append((r.id, Window(clock_seconds(r.params.start), clock_seconds(r.params.end))))
    return out


def _check_hours(book: Playbook, pack: Pack, channel: str, hours: Window, what: str) -> None:
    for rule_id, allowed in _pack_hours(pack, channel):
        if hours.start < allowed.start or hours.end > allowed.end:
            raise _fail(book, f"{what}: hours {hours.text} fall outside {rule_id} "
                              f"({allowed.text} local) of pack {pack.id}")


def _check_stages(book: Playbook, pack: Pack) -> None:
    names = [s.name for s in book.stages]
    if names != sorted(names, key=STAGES.index) or len(set(names)) != len(names):
        raise _fail(book, f"stages must appear once each, in the order {list(STAGES)}")
    for a, b in zip(book.stages, book.stages[1:], strict=False):
        if b.dpd_from <= a.dpd_to:
            raise _fail(book, f"stages {a.name} and {b.name} overlap in days past due")
    for s in book.stages[1:]:
        if not s.announce:
            raise _fail(book, f"stage {s.name}: a new stage is a new round and needs `announce`"
                              " (what comes next, told to the borrower beforehand)")
    needed = max((r.params.min_days for r in pack.rules if isinstance(r.params, PriorNotice)),
                 default=0)
    if book.notice_days < needed:
        raise _fail(book, f"notice_days {book.notice_days} is shorter than the {needed} days "
                          f"pack {pack.id} requires")
    seen: set[str] = set()
    for _, step in book.steps():
        if step.id in seen:
            raise _fail(book, f"step id {step.id} appears twice")
        seen.add(step.id)


def _check_step(book: Playbook, pack: Pack, templates: TemplateSource, stage: Stage,
                step: Step) -> list[MessageTemplate]:
    what = f"step {step.id}"
    if "address_book" in step.sources:
        raise _fail(book, f"{what}: targets address-book contacts, which are never contacted")
    if step.channel not in CHANNELS:
        raise _fail(book, f"{what}: unknown channel {step.channel!r}")
    if (step.channel == "visit") != (step.escalation == "field_visit"):
        raise _fail(book, f"{what}: a field visit is channel visit with escalation field_visit")
    if step.audience not in ("borrower", "designated_contact"):
        raise _fail(book, f"{what}: audience must be borrower or designated_contact "
                          "(other third parties are never contacted)")
    found = _localised(book, pack, templates, step, what, "message")
    purpose = step.purpose or found[0].purpose
    if step.audience == "designated_contact":
        if purpose != "locate":
            raise _fail(book, f"{what}: a contact person may only be asked to locate the "
                              f"borrower (purpose locate), not {purpose!r}")
        if step.escalation != "contact_person":
            raise _fail(book, f"{what}: contacting a contact person is the contact_person "
                              "escalation (announced to the borrower first)")
        if set(step.sources) - {"borrower_designated"}:
            raise _fail(book, f"{what}: only contact persons the borrower designated are used")
    elif step.escalation == "contact_person":
        raise _fail(book, f"{what}: the contact_person escalation targets designated_contact")
    if step.escalation and not step.announce:
        raise _fail(book, f"{what}: escalation {step.escalation} is a new round and needs "
                          "`announce`")
    for tpl in found:
        if step.audience != "borrower" and OPTOUT_LINK not in tpl.placeholders:
            raise _fail(book, f"{what}: template {tpl.id!r} to a contact person must carry "
                              "their link to refuse contact ({optout_link})")
        if (tpl.channel, tpl.audience, tpl.purpose, tpl.kind) != (
            step.channel, step.audience, purpose, "message"
        ):
            raise _fail(book, f"{what}: template {tpl.id!r} is a {tpl.kind} for {tpl.audience} "
                              f"by {tpl.channel} ({tpl.purpose}), not what the step sends")
    _check_hours(book, pack, step.channel, step.hours, what)
    return found


def _probe(book: Playbook, pack: Pack, tpl: MessageTemplate, body: str, stage: Stage,
           step: Step | None, minute: int) -> DecisionRequest:
    tz = PROBE_ZONES.get(book.jurisdiction, "UTC")
    at = datetime.combine(PROBE_DAY, time(minute // 60, minute % 60), zone(tz)).astimezone(UTC)
    contact = step is not None and step.audience != "borrower"
    data: dict[str, Any] = {
        "jurisdiction": pack.id,
        "at": at.isoformat(),
        "attempt": {
            "channel": tpl.channel, "audience": tpl.audience, "purpose": tpl.purpose,
            "contact_id": "c-probe" if contact else None,
            "template": {"id": tpl.id, "approved": tpl.approved, "locale": tpl.locale,
                         "body": body},
        },
        "borrower": {"timezone": tz, "days_past_due": stage.dpd_from,
                     "unreachable_since": (at - timedelta(days=30)).isoformat()
                     if contact else None},
        "contacts": [{"id": "c-probe", "relation": "sibling",
                      "source": step.sources[0] if step and step.sources
                      else "borrower_designated"}] if contact else [],
        "consents": [{"purpose": "contact_designated_contact", "contact_id": "c-probe",
                      "granted_at": (at - timedelta(days=90)).isoformat()}] if contact else [],
        "notices": [{"at": (at - timedelta(days=book.notice_days)).isoformat(),
                     "kind": "escalation_notice"}],
    }
    return DecisionRequest.model_validate(data)


def _probe_all(book: Playbook, pack: Pack, tpl: MessageTemplate, body: str, stage: Stage,
               step: Step | None, hours: Window, what: str) -> None:
    for seconds in (hours.start, hours.end - 60):
        decision = decide(_probe(book, pack, tpl, body, stage, step, seconds // 60), pack)
        if not decision.allowed:
            rules = ", ".join(f"{v.rule} ({v.category.value})" for v in decision.violations)
            raise _fail(book, f"{what}: pack {pack.id} would deny it: {rules}")


def validate(book: Playbook, pack: Pack, templates: TemplateSource) -> None:
    """Raise ConfigError when `book` could lead to an attempt that `pack` denies."""
    if pack.jurisdiction != book.jurisdiction:
        raise _fail(book, f"pack {pack.id} is for {pack.jurisdiction}, not {book.jurisdiction}")
    _check_stages(book, pack)
    notices = _localised(book, pack, templates, book.notice, "notice", "notice")
    for notice in notices:
        if (notice.kind, notice.audience, notice.channel) != ("notice", "borrower",
                                                              book.notice.channel):
            raise _fail(book, f"notice: template {notice.id!r} must be a borrower notice sent "
                              f"by {book.notice.channel}")
    if book.notice.channel not in DISPATCH_CHANNELS:
        raise _fail(book, f"notice: channel {book.notice.channel!r} cannot carry a notice")
    _check_hours(book, pack, book.notice.channel, book.notice.hours, "notice")
    announcements = _announcements(book, pack)
    for stage, step in book.steps():
        for tpl in _check_step(book, pack, templates, stage, step):
            _probe_all(book, pack, tpl, tpl.body, stage, step, step.hours, f"step {step.id}")
    first = book.stages[0]
    for notice in notices:
        for text in announcements[notice.locale]:
            # An announcement is the playbook's own words: it is probed (linted) inside
            # every locale's notice, so a locale whose lexicon rejects it refuses the book.
            body = render(notice, {**SAMPLE_VALUES, "next_step": text})
            _probe_all(book, pack, notice, body, first, None, book.notice.hours, "notice")


def validate_notices(pack: Pack, templates: TemplateSource,
                     catalogue: NoticeCatalogue | None = None) -> None:
    """Refuse a template set lacking a case notice in any locale `pack` serves.

    Every notice kind of the catalogue (a dispute acknowledgement, a dispute outcome...)
    needs, for each served locale, templates for its channels, each held approved by the
    source, written in that locale, for that channel, this jurisdiction and the borrower.
    The error names the notice kind, the channel and the missing locale.
    """
    book = catalogue or notice_catalogue()
    jur = pack.jurisdiction

    def fail(reason: str) -> ConfigError:
        return ConfigError(f"case notices ({book.version}): {reason}", jurisdiction=jur)

    for kind, by_jur in book.kinds.items():
        by_locale = by_jur.get(jur, {})
        for locale in by_locale:
            if locale not in pack.locales:
                raise fail(f"notice {kind} (case notice): templates for locale {locale}, "
                           f"which pack {pack.id} does not serve ({', '.join(pack.locales)})")
        for locale in pack.locales:
            channels = by_locale.get(locale)
            if not channels:
                raise fail(f"notice {kind} (case notice): no template for locale {locale} "
                           f"in {jur} (pack {pack.id} serves {', '.join(pack.locales)})")
            for channel, tid in channels.items():
                what = f"notice {kind} by {channel} (case notice), locale {locale}"
                tpl = templates.get(tid)
                if tpl is None:
                    raise fail(f"{what}: unknown template {tid!r} (not in the template "
                               "registry)")
                if not tpl.approved:
                    raise fail(f"{what}: template {tid!r} has no approved version in the "
                               "registry")
                if (tpl.locale, tpl.channel, tpl.jurisdiction, tpl.audience) != (
                        locale, channel, jur, "borrower"):
                    raise fail(f"{what}: template {tid!r} is in {tpl.locale} by "
                               f"{tpl.channel} for {tpl.jurisdiction} {tpl.audience}")
