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

    @property
    def next_day_start(self) -> datetime:
        return local_instant(self.local.date() + timedelta(days=1), 0, self.tz)

    def next_clock(self, seconds: int) -> datetime:
        """The next instant, after now, at which the local clock shows `seconds`."""
        day = self.local.date() if self.sod < seconds else self.local.date() + timedelta(days=1)
        return local_instant(day, seconds, self.tz)

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
