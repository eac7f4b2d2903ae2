"""Whether a planned message may leave now: the send-time verdict (pure).

A message is planned for a moment, but the worker may run at any other. Just before
sending, the message's planning request is decided again at the moment of sending, with
the borrower's state as it is then (see `dispatch.send_check`). This module turns that
re-decision and the message's validity into one verdict:

- `send`: the rules allow it now and it is still valid;
- `expire`: its validity ended (by default the end of its local planned day), or the next
  allowed moment falls after that end;
- `defer`: a timing rule denies it now, and the next allowed moment is inside its validity;
- `deny`: a rule that no later moment today clears denies it;
- `cancel`: the account changed since planning so that the playbook would plan nothing
  (paid in full, or nothing overdue any more; a promise to pay, a payment plan, a hold
  such as a dispute or a cease request).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from faircollect.policy.decision import Decision
from faircollect.policy.request import zone

Action = Literal["send", "defer", "deny", "expire", "cancel"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one message now; `reason` names why it is not sent."""

    action: Action
    reason: str = ""
    rules: tuple[str, ...] = ()
    until: datetime | None = None


def local_day_end(planned_at: datetime, timezone: str) -> datetime:
    """The first instant after the borrower-local calendar day of `planned_at` (UTC-aware)."""
    tz = zone(timezone)
    local = planned_at.astimezone(tz)
    nxt = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz)
    return nxt.astimezone(planned_at.tzinfo)


def verdict(
    decision: Decision,
    *,
    at: datetime,
    expires_at: datetime,
    stopped_by: str | None = None,
) -> Verdict:
    """The verdict for a message re-decided at `at` (see the module docstring).

    `stopped_by` names the account change that makes the plan obsolete, if any.
    """
    if stopped_by:
        return Verdict("cancel", f"since planning: {stopped_by}")
    if at >= expires_at:
        return Verdict("expire", f"validity ended at {expires_at.isoformat()}")
    if decision.allowed:
        return Verdict("send")
    rules = tuple(v.rule for v in decision.violations)
    if decision.next_allowed_at is None:
        return Verdict("deny", "denied at send: " + ";".join(rules), rules)
    nxt = datetime.fromisoformat(decision.next_allowed_at)
    if nxt >= expires_at:
        return Verdict(
            "expire",
            "denied at send (" + ";".join(rules) + "); next allowed "
            f"{nxt.isoformat()} is after the validity end {expires_at.isoformat()}",
            rules,
        )
    return Verdict("defer", "deferred at send: " + ";".join(rules), rules, until=nxt)
