"""Training records in the store, and the gate the rest of the system asks.

Commands (add a course, record a completion, import a CSV) are one audited transaction each.
`gate` is what assignment, the vault reveal path and the attempt decision ask: may this
collector or agency work a case of this jurisdiction now?

Rollout: the gate applies to a jurisdiction from the moment the register holds a course for
it. Before that nobody can be trained for it, and the gate stays open so that a deployment
without any training data behaves as it did; register the courses before go-live (see
docs/governance.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from faircollect.errors import AccessDenied, Conflict, NotFound, RowError
from faircollect.governance.training import (
    Completion,
    Course,
    check_id,
    complete,
    coverage,
    expiring,
    parse_completions_csv,
    trained,
)
from faircollect.store.tables.governance import training_completions, training_courses
from faircollect.store.unit_of_work import Store

RULE = "HOUSE-TRAINING"
_k = training_courses.c
_t = training_completions.c


@dataclass(frozen=True, slots=True)
class Status:
    """A person's training for one jurisdiction at one instant."""

    person_id: str
    jurisdiction: str
    required: bool  # the register holds a course for the jurisdiction
    valid: bool  # a valid completion exists

    @property
    def allowed(self) -> bool:
        """Whether the gate lets the person work cases of the jurisdiction."""
        return self.valid or not self.required

    def to_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "jurisdiction": self.jurisdiction,
                "required": self.required, "training_valid": self.valid,
                "allowed": self.allowed}


def load_courses(conn: Connection) -> dict[str, Course]:
    """Every course, by id."""
    return {r.course_id: Course(r.course_id, r.title, r.jurisdiction,
                                tuple(t for t in r.topics.split(";") if t), r.validity_days,
                                r.pass_mark)
            for r in conn.execute(select(training_courses))}


def load_completions(conn: Connection, person_id: str | None = None) -> list[Completion]:
    """Every completion (of one person, when given), oldest first."""
    q = select(training_completions).order_by(_t.completed_at, _t.completion_id)
    if person_id is not None:
        q = q.where(_t.person_id == person_id)
    return [Completion(r.course_id, r.person_id, r.person_kind, r.score, bool(r.passed),
                       r.completed_at, r.expires_at) for r in conn.execute(q)]


def status(conn: Connection, person_id: str, jurisdiction: str, at: datetime) -> Status:
    """The person's training status for `jurisdiction` at `at`."""
    courses = load_courses(conn)
    required = any(c.jurisdiction == jurisdiction for c in courses.values())
    valid = trained(courses, load_completions(conn, person_id), jurisdiction, at)
    return Status(person_id, jurisdiction, required, valid)


def gate(conn: Connection, person_id: str, jurisdiction: str, at: datetime,
         what: str) -> None:
    """AccessDenied (citing HOUSE-TRAINING) unless the person may work this jurisdiction."""
    s = status(conn, person_id, jurisdiction, at)
    if not s.allowed:
        raise AccessDenied(
            f"{RULE}: {person_id} has no valid training for {jurisdiction}; cannot {what}",
            rule=RULE, jurisdiction=jurisdiction, person_id=person_id)


def untrained_for(conn: Connection, person_id: str, jurisdictions: set[str],
                  at: datetime) -> str | None:
    """The first of `jurisdictions` the person may not work at `at`, or None."""
    courses = load_courses(conn)
    needed = {c.jurisdiction for c in courses.values()} & jurisdictions
    if not needed:
        return None
    done = load_completions(conn, person_id)
    for j in sorted(needed):
        if not trained(courses, done, j, at):
            return j
    return None


def expiring_certificates(conn: Connection, at: datetime,
                          days: int = 30) -> list[dict[str, Any]]:
    """Certificates expiring within `days` of `at` and not renewed, as JSON-ready rows."""
    courses = load_courses(conn)
    return [{"person_id": c.person_id, "person_kind": c.person_kind, "course_id": c.course_id,
             "jurisdiction": courses[c.course_id].jurisdiction,
             "expires_at": c.expires_at.isoformat()}
            for c in expiring(courses, load_completions(conn), at, days)]


def training_coverage(conn: Connection, jurisdiction: str, at: datetime) -> dict[str, int]:
    """Of everyone with a completion on a course of `jurisdiction`, how many are valid now."""
    courses = load_courses(conn)
    done = load_completions(conn)
    people = {c.person_id: c.person_kind for c in done
              if c.course_id in courses and courses[c.course_id].jurisdiction == jurisdiction}
    return coverage(courses, done, people, jurisdiction, at)


class TrainingService:
    """Commands over the training register; each one audited transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add_course(self, actor: str, course: Course) -> Course:
        """Register a course; Conflict when its id is taken."""
        now = self.store.clock()
        with self.store.transaction(actor) as uow:
            if uow.conn.execute(select(_k.course_id).where(
                    _k.course_id == course.course_id)).first() is not None:
                raise Conflict(f"course {course.course_id} exists", course_id=course.course_id)
            uow.conn.execute(insert(training_courses).values(
                course_id=course.course_id, title=course.title,
                jurisdiction=course.jurisdiction, topics=";".join(course.topics),
                validity_days=course.validity_days, pass_mark=course.pass_mark,
                created_by=actor, created_at=now))
            uow.audit("training.course_added", f"course:{course.course_id}", {
                "jurisdiction": course.jurisdiction, "validity_days": course.validity_days,
                "pass_mark": course.pass_mark, "topics": list(course.topics)})
        return course

    def record(self, actor: str, *, course_id: str, person_id: str, person_kind: str,
               score: int, completed_at: datetime) -> Completion:
        """Record one completion (audited); NotFound for an unknown course."""
        with self.store.transaction(actor) as uow:
            courses = load_courses(uow.conn)
            return self._record(uow, actor, courses, course_id, person_id, person_kind, score,
                                completed_at)

    def import_csv(self, actor: str, text: str, source: str) -> list[Completion]:
        """Import completions from CSV, all or nothing; RowError names the bad row."""
        rows = parse_completions_csv(text, source)
        with self.store.transaction(actor) as uow:
            courses = load_courses(uow.conn)
            out = []
            for r in rows:
                if r.course_id not in courses:
                    raise RowError(f"no course {r.course_id!r}", file=source, line=r.line,
                                   column="course_id")
                out.append(self._record(uow, actor, courses, r.course_id, r.person_id,
                                        r.person_kind, r.score, r.completed_at))
            return out

    def _record(self, uow: Any, actor: str, courses: dict[str, Course], course_id: str,
                person_id: str, person_kind: str, score: int,
                completed_at: datetime) -> Completion:
        check_id(course_id, "course_id")
        course = courses.get(course_id)
        if course is None:
            raise NotFound(f"no course {course_id!r}", course_id=course_id)
        c = complete(course, person_id, person_kind, score, completed_at)
        cid = "tc-" + uuid.uuid4().hex
        uow.conn.execute(insert(training_completions).values(
            completion_id=cid, course_id=c.course_id, person_id=c.person_id,
            person_kind=c.person_kind, score=c.score, passed=int(c.passed),
            completed_at=c.completed_at, expires_at=c.expires_at, recorded_by=actor,
            recorded_at=self.store.clock()))
        uow.audit("training.completed", f"person:{c.person_id}", {
            "completion_id": cid, "course_id": c.course_id, "jurisdiction": course.jurisdiction,
            "person_kind": c.person_kind, "score": c.score, "passed": c.passed,
            "expires_at": c.expires_at.isoformat()})
        return c

    def status(self, person_id: str, jurisdiction: str, at: datetime | None = None) -> Status:
        """A person's training status now (or at `at`)."""
        with self.store.read() as conn:
            return status(conn, person_id, jurisdiction, at or self.store.clock())

    def courses(self) -> list[Course]:
        with self.store.read() as conn:
            return sorted(load_courses(conn).values(), key=lambda c: c.course_id)

    def completions(self, person_id: str | None = None) -> list[Completion]:
        with self.store.read() as conn:
            return load_completions(conn, person_id)

    def expiring(self, days: int = 30) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            return expiring_certificates(conn, self.store.clock(), days)
