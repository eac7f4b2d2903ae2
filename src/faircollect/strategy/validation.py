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

from faircollect.errors import ConfigError
from faircollect.policy.decide import decide
from faircollect.policy.pack import Pack
from faircollect.policy.params import ContactHours, PriorNotice
from faircollect.policy.request import CHANNELS, DecisionRequest, zone
from faircollect.strategy.messages import PLACEHOLDERS, MessageTemplate, TemplateSource, render
from faircollect.strategy.playbook import STAGES, Playbook, Stage, Step, Window

# Representative zones for probing local-hour rules; the rules read local time only.
PROBE_ZONES: Final[dict[str, str]] = {
    "CN": "Asia/Shanghai", "US": "America/New_York", "UK": "Europe/London",
}
PROBE_DAY: Final = date(2026, 1, 15)
SAMPLE_VALUES: Final[dict[str, str]] = {
    "amount": "100.00", "due_date": "2026-01-20", "dpd": "5", "company": "FairCollect",
    "hotline": "400-000-0000",
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
                step: Step) -> MessageTemplate:
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
    tpl = _template(book, templates, step.template, what)
    purpose = step.purpose or tpl.purpose
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
    if (tpl.channel, tpl.audience, tpl.purpose, tpl.kind) != (
        step.channel, step.audience, purpose, "message"
    ):
        raise _fail(book, f"{what}: template {tpl.id!r} is a {tpl.kind} for {tpl.audience} by "
                          f"{tpl.channel} ({tpl.purpose}), not what the step sends")
    _check_hours(book, pack, step.channel, step.hours, what)
    return tpl


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
    notice = _template(book, templates, book.notice.template, "notice")
    if (notice.kind, notice.audience, notice.channel) != ("notice", "borrower",
                                                          book.notice.channel):
        raise _fail(book, f"notice: template {notice.id!r} must be a borrower notice sent by "
                          f"{book.notice.channel}")
    if book.notice.channel not in DISPATCH_CHANNELS:
        raise _fail(book, f"notice: channel {book.notice.channel!r} cannot carry a notice")
    _check_hours(book, pack, notice.channel, book.notice.hours, "notice")
    announcements = [s.announce for s in book.stages if s.announce] + [
        st.announce for _, st in book.steps() if st.announce
    ]
    for stage, step in book.steps():
        tpl = _check_step(book, pack, templates, stage, step)
        _probe_all(book, pack, tpl, tpl.body, stage, step, step.hours, f"step {step.id}")
    first = book.stages[0]
    for text in announcements:
        body = render(notice, {**SAMPLE_VALUES, "next_step": text})
        _probe_all(book, pack, notice, body, first, None, book.notice.hours, "notice")
