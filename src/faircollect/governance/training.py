"""Training records as values: courses, completions, who is trained where, what expires.

Pure: no database, no clock. A completion is valid for a jurisdiction at an instant when it
passed (score at or above the course's pass mark), its course is for that jurisdiction, and
the instant lies in [completed_at, expires_at). Expiry is completion + the course's validity.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from faircollect.errors import InputError, RowError
from faircollect.vocabulary import JURISDICTIONS

PersonKind = Literal["collector", "agency"]
PERSON_KINDS: tuple[str, ...] = ("collector", "agency")
EXPIRY_NOTICE_DAYS = 30  # expiring certificates show in the compliance report this far ahead
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
CSV_COLUMNS = ("course_id", "person_id", "person_kind", "score", "completed_on")


def check_id(value: str, name: str) -> str:
    """An id (course, person): 1-64 letters, digits, '.', '_', ':' or '-'."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InputError(f"{name}: 1-64 letters, digits, '.', '_', ':' or '-'", field=name)
    return value


@dataclass(frozen=True, slots=True)
class Course:
    """A training course: what it covers, for which jurisdiction, how long a pass is valid."""

    course_id: str
    title: str
    jurisdiction: str
    topics: tuple[str, ...]
    validity_days: int
    pass_mark: int

    def __post_init__(self) -> None:
        check_id(self.course_id, "course_id")
        if not self.title.strip() or len(self.title) > 200:
            raise InputError("title: 1-200 characters", field="title")
        if self.jurisdiction not in JURISDICTIONS:
            raise InputError(f"jurisdiction must be one of {', '.join(JURISDICTIONS)}",
                             field="jurisdiction")
        if not 1 <= self.validity_days <= 3660:
            raise InputError("validity_days: 1-3660", field="validity_days")
        if not 0 <= self.pass_mark <= 100:
            raise InputError("pass_mark: a percentage 0-100", field="pass_mark")
        if any(not t.strip() or ";" in t for t in self.topics):
            raise InputError("topics: non-empty names without ';'", field="topics")


@dataclass(frozen=True, slots=True)
class Completion:
    """One person's result in one course."""

    course_id: str
    person_id: str
    person_kind: str
    score: int
    passed: bool
    completed_at: datetime
    expires_at: datetime

    def valid_at(self, at: datetime) -> bool:
        """Passed, and `at` is inside [completed_at, expires_at)."""
        return self.passed and self.completed_at <= at < self.expires_at


def complete(course: Course, person_id: str, person_kind: str, score: int,
             completed_at: datetime) -> Completion:
    """A completion of `course`: passed against its pass mark, expiring after its validity."""
    check_id(person_id, "person_id")
    if person_kind not in PERSON_KINDS:
        raise InputError(f"person_kind must be one of {', '.join(PERSON_KINDS)}",
                         field="person_kind")
    if not 0 <= score <= 100:
        raise InputError("score: a percentage 0-100", field="score")
    if completed_at.tzinfo is None:
        raise InputError("completed_at needs a UTC offset", field="completed_at")
    at = completed_at.astimezone(UTC)
    return Completion(course.course_id, person_id, person_kind, score,
                      score >= course.pass_mark, at, at + timedelta(days=course.validity_days))


def trained(courses: Mapping[str, Course], completions: Iterable[Completion],
            jurisdiction: str, at: datetime) -> bool:
    """Whether any completion is valid at `at` for a course of `jurisdiction`."""
    return any(c.valid_at(at) and c.course_id in courses
               and courses[c.course_id].jurisdiction == jurisdiction for c in completions)


def expiring(courses: Mapping[str, Course], completions: Iterable[Completion], at: datetime,
             days: int = EXPIRY_NOTICE_DAYS) -> list[Completion]:
    """Valid certificates that expire within `days` of `at` and are not already renewed
    (no later passed completion of the same course by the same person outlasts them)."""
    done = list(completions)
    horizon = at + timedelta(days=days)
    out = []
    for c in done:
        if not c.valid_at(at) or c.expires_at >= horizon or c.course_id not in courses:
            continue
        renewed = any(o.person_id == c.person_id and o.course_id == c.course_id and o.passed
                      and o.expires_at > c.expires_at for o in done)
        if not renewed:
            out.append(c)
    return sorted(out, key=lambda c: (c.expires_at, c.person_id, c.course_id))


def coverage(courses: Mapping[str, Course], completions: Iterable[Completion],
             people: Mapping[str, str], jurisdiction: str, at: datetime) -> dict[str, int]:
    """Of `people` (id -> kind), how many are trained for `jurisdiction` at `at`."""
    done = list(completions)
    ok = sum(1 for pid in people
             if trained(courses, (c for c in done if c.person_id == pid), jurisdiction, at))
    return {"people": len(people), "trained": ok, "untrained": len(people) - ok}


@dataclass(frozen=True, slots=True)
class CompletionRow:
    """One parsed CSV row, before its course is looked up."""

    line: int
    course_id: str
    person_id: str
    person_kind: str
    score: int
    completed_at: datetime


def parse_completions_csv(text: str, source: str) -> list[CompletionRow]:
    """Parse completions CSV (header: course_id,person_id,person_kind,score,completed_on).

    `completed_on` is a date (taken as 00:00 UTC) or an ISO instant with an offset. All or
    nothing: the first bad row raises a RowError naming the file, line and column.
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RowError(f"missing columns {missing}", file=source, line=1)
    out = []
    for number, row in enumerate(reader, start=2):
        def bad(column: str, reason: str, number: int = number) -> RowError:
            return RowError(reason, file=source, line=number, column=column)

        for col in CSV_COLUMNS:
            if not (row.get(col) or "").strip():
                raise bad(col, "empty")
        try:
            score = int(row["score"])
        except ValueError:
            raise bad("score", "not a whole number") from None
        raw = row["completed_on"].strip()
        try:
            if len(raw) == 10:
                when = datetime.combine(date.fromisoformat(raw), time(0), tzinfo=UTC)
            else:
                when = datetime.fromisoformat(raw)
        except ValueError:
            raise bad("completed_on", "not a date (YYYY-MM-DD) or ISO instant") from None
        if when.tzinfo is None:
            raise bad("completed_on", "an instant needs a UTC offset")
        kind = row["person_kind"].strip()
        if kind not in PERSON_KINDS:
            raise bad("person_kind", f"must be one of {', '.join(PERSON_KINDS)}")
        if not 0 <= score <= 100:
            raise bad("score", "a percentage 0-100")
        for col in ("course_id", "person_id"):
            if not _ID.match(row[col].strip()):
                raise bad(col, "1-64 letters, digits, '.', '_', ':' or '-'")
        out.append(CompletionRow(number, row["course_id"].strip(), row["person_id"].strip(),
                                 kind, score, when.astimezone(UTC)))
    return out
