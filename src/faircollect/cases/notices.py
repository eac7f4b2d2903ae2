"""Notices the borrower is sent by case commands (dispute acknowledged, dispute resolved).

Each notice is an approved template from the registry, in the borrower's own language: the
catalogue (`cases/notices.yaml`) names, per kind, jurisdiction, locale and channel, the template
that carries it. There is no fallback. A borrower whose locale the jurisdiction's pack does not
serve, or who has no approved template in their locale for the channel, is sent nothing, and
the command's audit entry records why (`notice_skipped`). The message goes through the outbox
in the command's own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from faircollect.cases.borrower import BorrowerRecord
from faircollect.cases.notice_catalogue import NoticeCatalogue, notice_catalogue
from faircollect.content.registry import approved_template
from faircollect.content.rendering import render_checked
from faircollect.dispatch.message import OutboundMessage
from faircollect.dispatch.outbox import enqueue
from faircollect.errors import Conflict, InputError
from faircollect.policy.pack import resolve_pack
from faircollect.store.unit_of_work import UnitOfWork
from faircollect.vault.vault import Vault


@dataclass(frozen=True, slots=True)
class Notice:
    """What became of one notice: queued (`message_id`) or skipped, with the reason."""

    kind: str
    channel: str
    locale: str
    message_id: str | None = None
    template_id: str | None = None
    skipped: str | None = None

    def audit(self) -> dict[str, Any]:
        """The fields the command's audit entry carries about its notice."""
        out: dict[str, Any] = {"notice": self.message_id}
        if self.skipped is not None:
            out["notice_skipped"] = self.skipped
        return out


def send_notice(
    uow: UnitOfWork,
    vault: Vault,
    borrower: BorrowerRecord,
    *,
    kind: str,
    reference: str,
    channel: str,
    now: datetime,
    catalogue: NoticeCatalogue | None = None,
    **fields: str,
) -> Notice:
    """Enqueue notice `kind` about `reference` (e.g. a dispute id) in the borrower's language.

    An opted-out channel is not used: the notice goes by letter instead. When no approved
    template exists in the borrower's locale, nothing is queued and the Notice says why.
    """
    if channel in borrower.opted_out_channels:
        channel = "letter"
    locale = borrower.locale

    def skip(reason: str, template_id: str | None = None) -> Notice:
        return Notice(kind, channel, locale, template_id=template_id, skipped=reason)

    try:
        served = resolve_pack(borrower.jurisdiction).locales
    except InputError:
        return skip(f"no rule pack for jurisdiction {borrower.jurisdiction!r}")
    if locale not in served:
        return skip(f"locale {locale or '(none)'!r} is not one that {borrower.jurisdiction} "
                    f"serves ({', '.join(served) or 'none'}); no notice in another language")
    book = catalogue or notice_catalogue()
    tid = book.template_id(kind, borrower.jurisdiction, locale, channel)
    if tid is None:
        return skip(f"no {kind} template for {borrower.jurisdiction} in {locale} by {channel}")
    template = approved_template(uow.conn, tid)
    if template is None:
        return skip(f"template {tid} has no approved version", tid)
    if template.locale != locale:  # a catalogue or registry mistake: never another language
        return skip(f"template {tid} is written in {template.locale}, not {locale}", tid)
    if template.channel not in (None, channel):
        return skip(f"template {tid} is for {template.channel}, not {channel}", tid)
    values: dict[str, str] = {}
    for name in template.placeholders:
        raw = fields.get(name)
        words = book.words.get(name, {}).get(locale, {})
        if raw is None or raw not in words:
            return skip(f"template {tid}: no {locale} words for {name} {raw!r}", tid)
        values[name] = words[raw]
    try:
        body = render_checked(template.body, values, locale=locale,
                              audience=template.audience, channel=channel)
    except Conflict as exc:
        return skip(f"template {tid}: {exc}", tid)
    message = OutboundMessage(
        idempotency_key=f"notice:{kind}:{reference}",
        borrower_id=borrower.borrower_id,
        channel=channel,
        template_id=tid,
        purpose="reminder",
        body=body,
        planned_at=now,
        notice_kind=kind,
    )
    queued = enqueue(uow, vault, message, now=now).message_id
    return Notice(kind, channel, locale, message_id=queued, template_id=tid)
