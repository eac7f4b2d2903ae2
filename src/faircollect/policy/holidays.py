"""Public-holiday calendars as data: one YAML file per calendar under `policy/calendars/`.

Each year of a calendar names its source. Loading is pure (package data, cached); a rule that
needs a day of a year the calendar does not cover denies rather than guessing (fail closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any, Final

import yaml

from faircollect.errors import ConfigError

HOLIDAY_KINDS: Final = ("national_holiday", "collective_leave")
_EPOCH: Final = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Calendar:
    """A holiday calendar: its days per covered year, and each year's source."""

    id: str
    title: str
    days: tuple[Holiday, ...]
    sources: dict[int, str]

    def covers(self, day: date) -> bool:
        return day.year in self.sources

    def holidays(self, kinds: tuple[str, ...]) -> frozenset[date]:
        return frozenset(h.day for h in self.days if h.kind in kinds)

    def epoch_days(self, kinds: tuple[str, ...]) -> list[int]:
        """The holidays of these kinds as days since 1970-01-01 (for the vectorised rules)."""
        return sorted(d.toordinal() - _EPOCH for d in self.holidays(kinds))

    def covered_epoch_ranges(self) -> list[tuple[int, int]]:
        """[start, end) day numbers of each covered year."""
        return [(date(y, 1, 1).toordinal() - _EPOCH, date(y + 1, 1, 1).toordinal() - _EPOCH)
                for y in sorted(self.sources)]


def _fail(where: str, reason: str) -> ConfigError:
    return ConfigError(f"holiday calendar {where}: {reason}", file=where)


def parse_calendar(text: str, where: str) -> Calendar:
    """Validate a calendar file's YAML text."""
    doc: Any = yaml.safe_load(text)
    if not isinstance(doc, dict) or set(doc) - {"calendar", "title", "years"}:
        raise _fail(where, "a calendar is a mapping of calendar, title, years")
    cid, years = doc.get("calendar"), doc.get("years")
    if not isinstance(cid, str) or not cid or not isinstance(years, dict) or not years:
        raise _fail(where, "needs a calendar id and at least one year")
    days: list[Holiday] = []
    sources: dict[int, str] = {}
    for year, body in years.items():
        if not isinstance(year, int) or not isinstance(body, dict):
            raise _fail(where, f"year {year!r}: a year maps to source and days")
        source = body.get("source")
        if not isinstance(source, str) or not source.strip():
            raise _fail(where, f"year {year}: every year names its source")
        sources[year] = " ".join(source.split())
        for raw in body.get("days") or []:
            if not isinstance(raw, dict) or not isinstance(raw.get("date"), date):
                raise _fail(where, f"year {year}: each day needs a date (YYYY-MM-DD)")
            if raw["date"].year != year or raw.get("kind") not in HOLIDAY_KINDS:
                raise _fail(where, f"year {year}: {raw['date']} is outside the year or its kind "
                                   f"is not one of {list(HOLIDAY_KINDS)}")
            days.append(Holiday(raw["date"], raw["kind"], str(raw.get("name") or "")))
    return Calendar(id=cid, title=str(doc.get("title") or cid), days=tuple(days),
                    sources=sources)


@lru_cache(maxsize=16)
def calendar(name: str) -> Calendar:
    """The shipped calendar `name` (e.g. "ID"); ConfigError when there is none."""
    base = resources.files("faircollect.policy").joinpath("calendars")
    if not name.isalnum():
        raise _fail(name, "unknown calendar")
    item = base.joinpath(f"{name.lower()}.yaml")
    if not item.is_file():
        raise _fail(name, "unknown calendar (none shipped under policy/calendars/)")
    cal = parse_calendar(item.read_text("utf-8"), f"{name.lower()}.yaml")
    if cal.id != name:
        raise _fail(name, f"the file names calendar {cal.id!r}")
    return cal


@lru_cache(maxsize=64)
def holiday_days(name: str, kinds: tuple[str, ...]) -> frozenset[date]:
    """The days of calendar `name` whose kind is one of `kinds` (cached per rule)."""
    return calendar(name).holidays(kinds)
