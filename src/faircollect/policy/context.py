"""What every rule asks of a request at one instant, computed once: local time, local day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from faircollect.policy.content_check import Linter
from faircollect.policy.request import Contact, DecisionRequest, zone


def local_instant(day: date, seconds: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local clock time on a local day (fold 0 at a DST overlap)."""
    clock = time(seconds // 3600, (seconds // 60) % 60, seconds % 60)
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _sod(t: datetime, tz: ZoneInfo) -> int:
    loc = t.astimezone(tz)
    return loc.hour * 3600 + loc.minute * 60 + loc.second


def first_at_or_after(day: date, seconds: int, tz: ZoneInfo) -> datetime:
    """The first instant of local `day` at which the clock shows `seconds` or later.

    Normally that is `local_instant`; when `seconds` falls in a DST gap (02:30 on the spring-
    forward day in New York) the clock never shows it, and the first instant at or after it is
    the transition itself (03:00 EDT), found by bisection between the two readings of the time.
    """
    t = local_instant(day, seconds, tz)
    if _sod(t, tz) == seconds:
        return t
    clock = time(seconds // 3600, (seconds // 60) % 60, seconds % 60)
    other = datetime.combine(day, clock, tzinfo=tz).replace(fold=1).astimezone(UTC)
    lo, hi = min(t, other), max(t, other)  # lo shows a time before the gap, hi one after it
    after = hi.astimezone(tz).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


class Context:
    """A request seen at instant `at`; local values come from the borrower's IANA zone."""

    __slots__ = ("req", "at", "tz", "local", "sod", "_day_start", "_contact", "_lint", "linter")

    def __init__(self, req: DecisionRequest, at: datetime, linter: Linter) -> None:
        self.req = req
        self.at = at
        self.tz = zone(req.borrower.timezone)
        self.local = at.astimezone(self.tz)
        self.sod = self.local.hour * 3600 + self.local.minute * 60 + self.local.second
        self.linter = linter
        self._day_start: datetime | None = None
        self._contact: Contact | None | bool = False
        self._lint: frozenset[str] | None = None

    @property
    def day_start(self) -> datetime:
        """UTC instant of the borrower's local midnight that starts today."""
        if self._day_start is None:
            self._day_start = local_instant(self.local.date(), 0, self.tz)
        return self._day_start

    def days_start(self, days: int) -> datetime:
        """UTC instant of the local midnight that starts the last `days` local days."""
        if days == 1:
            return self.day_start
        return local_instant(self.local.date() - timedelta(days=days - 1), 0, self.tz)

    @property
    def next_day_start(self) -> datetime:
        return local_instant(self.local.date() + timedelta(days=1), 0, self.tz)

    def next_clock(self, seconds: int) -> datetime:
        """The next instant, after now, at which the local clock shows `seconds`."""
        day = self.local.date() if self.sod < seconds else self.local.date() + timedelta(days=1)
        return first_at_or_after(day, seconds, self.tz)

    @property
    def contact(self) -> Contact | None:
        """The contact person this attempt targets, if the request knows them."""
        if self._contact is False:
            cid = self.req.attempt.contact_id
            self._contact = next((c for c in self.req.contacts if c.id == cid), None)
        return self._contact  # type: ignore[return-value]

    @property
    def lint(self) -> frozenset[str]:
        """The linter's finding categories for the template body (empty when no body)."""
        if self._lint is None:
            t = self.req.attempt.template
            if t is None or not t.body:
                self._lint = frozenset()
            else:
                a = self.req.attempt
                self._lint = self.linter(t.body, t.locale, a.audience, a.channel)
        return self._lint
