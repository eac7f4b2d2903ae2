"""The scalar implementation of each rule kind: one function per kind.

A check returns None when the attempt passes, or a `Failure` with a message (no personal data:
clock times, counts, flag names and contact tokens only) and the earliest instant at which this
rule alone would pass (`None` when no time would).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from faircollect.policy import params as p
from faircollect.policy.content_check import LINT_ERROR
from faircollect.policy.context import Context, first_at_or_after, local_instant
from faircollect.policy.holidays import Calendar, calendar, holiday_days
from faircollect.policy.request import KNOWN_FLAGS, AgreedWindow, clock_seconds
from faircollect.vocabulary import LIABLE_AUDIENCES


@dataclass(frozen=True, slots=True)
class Failure:
    message: str
    next_at: datetime | None


Check = Callable[[Any, Context], Failure | None]


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{(seconds // 60) % 60:02d}"


def in_window(sod: int, start: int, end: int) -> bool:
    """Whether a local second-of-day lies in [start, end); a window may wrap past midnight."""
    return start <= sod < end if start < end else sod >= start or sod < end


def contact_hours(prm: p.ContactHours, ctx: Context) -> Failure | None:
    start, end = clock_seconds(prm.start), clock_seconds(prm.end)
    if start <= ctx.sod < end:
        return None
    waived = prm.waived_over_days_past_due
    if waived is not None and ctx.req.borrower.days_past_due > waived:
        return None
    windows: tuple[AgreedWindow, ...] = ()
    if prm.honour_agreed_windows and ctx.req.attempt.audience == "borrower":
        windows = ctx.req.borrower.agreed_windows
        if any(in_window(ctx.sod, w.start_s, w.end_s) for w in windows):
            return None
    nxt = min([ctx.next_clock(start), *(ctx.next_clock(w.start_s) for w in windows)])
    return Failure(
        f"{_hhmm(ctx.sod)} local time is outside the contact hours {prm.start}-{prm.end}"
        + (" and any agreed window" if windows else ""),
        nxt,
    )


def _day_fault(prm: p.ContactDays, cal: Calendar | None, day: date) -> str | None:
    """Why local `day` is not a contact day under this rule, or None when it is one."""
    if cal is not None and not cal.covers(day):
        return (f"the holiday calendar {cal.id} does not cover {day.year}: failing closed "
                "(no one can say whether the day is a holiday)")
    weekday = p.WEEKDAYS[day.weekday()]
    if weekday not in prm.weekdays:
        return (f"{day.isoformat()} is a {weekday}, not a contact day "
                f"({', '.join(prm.weekdays)})")
    if cal is not None and day in holiday_days(cal.id, prm.holiday_kinds):
        return (f"{day.isoformat()} is a public holiday in calendar {cal.id} "
                f"({', '.join(prm.holiday_kinds)})")
    return None


def contact_days(prm: p.ContactDays, ctx: Context) -> Failure | None:
    cal = calendar(prm.calendar) if prm.calendar else None
    day = ctx.local.date()
    fault = _day_fault(prm, cal, day)
    if fault is None:
        return None
    nxt = None
    for step in range(1, 367):  # the first later contact day, at its local midnight
        later = day + timedelta(days=step)
        if cal is not None and not cal.covers(later):
            break
        if _day_fault(prm, cal, later) is None:
            nxt = first_at_or_after(later, 0, ctx.tz)
            break
    return Failure(fault, nxt)


def liable_party(prm: p.LiableParty, ctx: Context) -> Failure | None:
    a, contact = ctx.req.attempt, ctx.contact
    if a.audience not in LIABLE_AUDIENCES:
        return None
    if a.audience not in prm.served:
        return Failure(f"this pack does not contact a {a.audience} (its `liable_parties` do "
                       "not name one)", None)
    if contact is None:
        return Failure(f"contact {a.contact_id} is not one of the borrower's known contacts", None)
    if contact.relation != a.audience:
        return Failure(f"contact {a.contact_id} is not recorded as a {a.audience} of the loan "
                       f"(relation {a.audience} is needed)", None)
    if contact.source not in prm.sources:
        return Failure(f"a {contact.source} contact may not be contacted as {a.audience}", None)
    return None


def _counted(prm: p.CountedCap, ctx: Context) -> list[datetime]:
    a, f, at = ctx.req.attempt, prm.count, ctx.at
    if prm.window == "local_day":
        lo, lo_open = ctx.day_start, False
    elif prm.window == "local_days":
        lo, lo_open = ctx.days_start(prm.days or 1), False
    else:
        lo, lo_open = at - timedelta(hours=prm.window_hours or 0), True
    out = []
    for h in ctx.req.history:
        if not (h.at < at and (h.at > lo if lo_open else h.at >= lo)):
            continue
        if f.channels is not None and h.channel not in f.channels:
            continue
        if f.audiences is not None and h.audience not in f.audiences:
            continue
        if f.outcomes is not None and h.outcome not in f.outcomes:
            continue
        if prm.scope == "target" and (
            # One number is one person: the borrower, or the contact with this id whatever
            # audience label an earlier attempt to them carried.
            (h.audience == "borrower") != (a.audience == "borrower")
            or (a.audience != "borrower" and h.contact_id != a.contact_id)
        ):
            continue
        out.append(h.at)
    return out


def counted_cap(prm: p.CountedCap, ctx: Context) -> Failure | None:
    times = _counted(prm, ctx)
    if len(times) < prm.limit:
        return None
    if prm.window == "local_day":
        span, nxt = "today (local day)", ctx.next_day_start
    elif prm.window == "local_days":
        times.sort()
        days = prm.days or 1
        span = f"the last {days} local calendar days"
        # The oldest entry that keeps the count at the limit leaves the period at the local
        # midnight `days` days after its own local day.
        oldest = times[len(times) - prm.limit].astimezone(ctx.tz).date()
        nxt = local_instant(oldest + timedelta(days=days), 0, ctx.tz)
    else:
        times.sort()
        span = f"the last {prm.window_hours} hours"
        nxt = times[len(times) - prm.limit] + timedelta(hours=prm.window_hours or 0)
    what = "/".join(prm.count.outcomes) if prm.count.outcomes else "attempts"
    return Failure(f"{len(times)} earlier {what} in {span}; the limit is {prm.limit}", nxt)


def consent_required(prm: p.ConsentRequired, ctx: Context) -> Failure | None:
    cid, at = ctx.req.attempt.contact_id, ctx.at
    if ctx.req.attempt.audience != "designated_contact" and (
        ctx.contact is None or ctx.contact.source not in prm.sources
    ):
        return None  # not a designated person, whatever the attempt's audience label
    later: list[datetime] = []
    for c in ctx.req.consents:
        if c.purpose != prm.purpose or c.contact_id != cid:
            continue
        if c.granted_at <= at:
            if (c.expires_at is None or at < c.expires_at) and (
                c.withdrawn_at is None or at < c.withdrawn_at
            ):
                return None
        elif (c.withdrawn_at is None or c.withdrawn_at > c.granted_at) and (
            c.expires_at is None or c.expires_at > c.granted_at
        ):
            later.append(c.granted_at)
    return Failure(
        f"no valid {prm.purpose} consent for contact {cid} at this time (missing, expired or "
        "withdrawn)",
        min(later) if later else None,
    )


def contact_source(prm: p.ContactSourceRule, ctx: Context) -> Failure | None:
    a, contact = ctx.req.attempt, ctx.contact
    if contact is None:
        return Failure(f"contact {a.contact_id} is not one of the borrower's known contacts", None)
    if contact.source in prm.allowed.get(a.audience, ()):
        return None
    return Failure(f"a {contact.source} contact may not be contacted as {a.audience}", None)


def borrower_unreachable(prm: p.BorrowerUnreachable, ctx: Context) -> Failure | None:
    since = ctx.req.borrower.unreachable_since
    need = timedelta(days=prm.min_days)
    if since is not None and since <= ctx.at - need:
        return None
    if since is None:
        return Failure("the borrower is reachable; contact the borrower first", None)
    return Failure(f"the borrower has been unreachable for less than {prm.min_days} days",
                   since + need)


def contact_refused(prm: p.NoParams, ctx: Context) -> Failure | None:
    cid, contact = ctx.req.attempt.contact_id, ctx.contact
    refused = (contact is not None and contact.refused_contact) or any(
        h.contact_id == cid and h.audience != "borrower" and h.outcome == "refused"
        and h.at < ctx.at
        for h in ctx.req.history
    )
    return Failure(f"contact {cid} refused further contact", None) if refused else None


def third_party_purpose(prm: p.ThirdPartyPurpose, ctx: Context) -> Failure | None:
    purpose = ctx.req.attempt.purpose
    if purpose in prm.allowed_purposes:
        return None
    allowed = ", ".join(prm.allowed_purposes)
    return Failure(f"a contact person may only be contacted for {allowed}, not {purpose}", None)


def once_only(prm: p.OnceOnly, ctx: Context) -> Failure | None:
    cid = ctx.req.attempt.contact_id
    if any(
        h.contact_id == cid and h.audience != "borrower" and h.outcome in prm.outcomes
        and h.at < ctx.at
        for h in ctx.req.history
    ):
        return Failure(f"contact {cid} was already reached once for location information", None)
    return None


def prior_notice(prm: p.PriorNotice, ctx: Context) -> Failure | None:
    need = timedelta(days=prm.min_days)
    later: list[datetime] = []
    for n in ctx.req.notices:
        if n.kind not in prm.kinds:
            continue
        if n.at <= ctx.at - need:
            return None
        later.append(n.at + need)
    return Failure(
        f"the borrower was not sent a {'/'.join(prm.kinds)} at least {prm.min_days} days before",
        min(later) if later else None,
    )


def hold_flags(prm: p.HoldFlags, ctx: Context) -> Failure | None:
    hits = [f for f in ctx.req.borrower.flags if f in prm.flags]
    return Failure(f"the account is on hold ({', '.join(hits)})", None) if hits else None


def unknown_flags(prm: p.NoParams, ctx: Context) -> Failure | None:
    unknown = [f for f in ctx.req.borrower.flags if f not in KNOWN_FLAGS]
    if not unknown:
        return None
    return Failure(f"unknown account flag(s) {', '.join(unknown)}: failing closed", None)


def cease(prm: p.Cease, ctx: Context) -> Failure | None:
    b, a = ctx.req.borrower, ctx.req.attempt
    if prm.cease_request and prm.flag in b.flags:
        return Failure("the borrower asked to stop contact", None)
    if prm.channel_opt_out and a.audience == "borrower" and a.channel in b.opted_out_channels:
        return Failure(f"the borrower opted out of {a.channel}", None)
    return None


def template_approval(prm: p.TemplateApproval, ctx: Context) -> Failure | None:
    a = ctx.req.attempt
    if a.template is None:
        if a.channel in prm.required_for:
            return Failure(f"a {a.channel} needs an approved template", None)
        return None
    if a.template.approved:
        return None
    return Failure(f"template {a.template.id} is not approved", None)


def blocking_findings(prm: p.Content, found: frozenset[str], channel: str) -> list[str]:
    """The linter findings that block under this content rule for this channel."""
    hits: list[str] = [
        c for c in prm.blocking
        if c in found and (c != "OPT_OUT_MISSING" or channel in prm.require_opt_out)
    ]
    return [*hits, LINT_ERROR] if LINT_ERROR in found else hits


def content(prm: p.Content, ctx: Context) -> Failure | None:
    hits = blocking_findings(prm, ctx.lint, ctx.req.attempt.channel)
    return Failure(f"the template body has findings: {', '.join(hits)}", None) if hits else None


def disclosure(prm: p.Disclosure, ctx: Context) -> Failure | None:
    purpose = ctx.req.attempt.purpose
    if purpose in prm.disclosing_purposes:
        return Failure(f"a {purpose} contact would tell a person other than the borrower "
                       "about the debt", None)
    if "THIRD_PARTY_DISCLOSURE" in ctx.lint:
        return Failure("the template body reveals the debt to a person other than the borrower",
                       None)
    return None


def actor_training(prm: p.ActorTraining, ctx: Context) -> Failure | None:
    actor = ctx.req.actor
    if actor is None or actor.kind not in prm.actors or actor.training_valid is True:
        return None
    state = "unknown" if actor.training_valid is None else "not valid"
    # No time would pass: training is recorded, not waited for.
    return Failure(f"the {actor.kind} making this contact has no valid training for this "
                   f"jurisdiction (training status {state})", None)


CHECKS: dict[str, Check] = {
    "contact_hours": contact_hours,
    "contact_days": contact_days,
    "liable_party": liable_party,
    "counted_cap": counted_cap,
    "consent_required": consent_required,
    "contact_source": contact_source,
    "borrower_unreachable": borrower_unreachable,
    "contact_refused": contact_refused,
    "third_party_purpose": third_party_purpose,
    "once_only": once_only,
    "prior_notice": prior_notice,
    "hold_flags": hold_flags,
    "unknown_flags": unknown_flags,
    "cease": cease,
    "template_approval": template_approval,
    "content": content,
    "disclosure": disclosure,
    "actor_training": actor_training,
}
