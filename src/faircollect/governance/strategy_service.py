"""Strategy review in the store: playbook and override versions through maker-checker.

Each command is one audited transaction (`strategy.added|revised|submitted|approved|
sent_back|retired`, subject `strategy:<kind>:<id>@<version>`). Submitting validates the
YAML (a playbook against its pack and the approved templates; an override as pack rules) and
stores the replay of the last 30 days of cycles under the draft, which the approver reads
with the diff. The cycle's playbook set (`reviewed_set`) takes only approved versions: a
stored approved playbook replaces the shipped one of the same id (or adds a new one), an
approved override tightens its pack; drafts and versions in review never run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, RowMapping, insert, select, update

from faircollect.content.template import Actor, State
from faircollect.errors import AccessDenied, ConfigError, Conflict, NotFound
from faircollect.governance.override import apply_override, base_pack, override_id
from faircollect.governance.review import (
    Kind,
    check_kind,
    expect,
    require_reviewer,
    text_diff,
)
from faircollect.policy.pack import Pack
from faircollect.store.tables.governance import strategy_versions
from faircollect.store.unit_of_work import Store
from faircollect.strategy.library import PlaybookSet, build_set, shipped_playbooks
from faircollect.strategy.messages import TemplateSource
from faircollect.strategy.playbook import Playbook, parse_playbook, read_playbook

_s = strategy_versions.c


@dataclass(frozen=True, slots=True)
class Version:
    """One stored version of a playbook or an override."""

    kind: str
    subject_id: str
    version: int
    state: State
    body: str
    body_sha256: str
    author: str
    created_at: datetime
    submitted_by: str | None
    approved_by: str | None
    approved_at: datetime | None
    replay: dict[str, Any] | None

    @property
    def subject(self) -> str:
        return f"strategy:{self.kind}:{self.subject_id}@{self.version}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.subject_id, "version": self.version,
                "state": self.state.value, "body_sha256": self.body_sha256,
                "author": self.author, "created_at": self.created_at.isoformat(),
                "submitted_by": self.submitted_by, "approved_by": self.approved_by,
                "approved_at": self.approved_at.isoformat() if self.approved_at else None}


def _version(r: RowMapping) -> Version:
    return Version(r["kind"], r["subject_id"], r["version"], State(r["state"]), r["body"],
                   r["body_sha256"], r["author"], r["created_at"], r["submitted_by"],
                   r["approved_by"], r["approved_at"],
                   orjson.loads(r["replay"]) if r["replay"] else None)


def _subject_id(kind: Kind, body: str) -> str:
    if kind == "playbook":
        return parse_playbook(body, "playbook").id
    return override_id(body)


def _rows(conn: Connection, kind: str, subject_id: str | None = None,
          state: State | None = None) -> list[Version]:
    q = select(strategy_versions).where(_s.kind == kind)
    if subject_id is not None:
        q = q.where(_s.subject_id == subject_id)
    if state is not None:
        q = q.where(_s.state == state.value)
    return [_version(r) for r in conn.execute(
        q.order_by(_s.subject_id, _s.version)).mappings()]


def approved_versions(conn: Connection, kind: str) -> dict[str, Version]:
    """The approved version of each subject of `kind` (one live version per id)."""
    return {v.subject_id: v for v in _rows(conn, kind, state=State.APPROVED)}


def reviewed_set(store: Store, templates: TemplateSource,
                 directory: Path | None = None) -> PlaybookSet:
    """The playbooks the cycle runs: shipped (or `directory`'s), with approved stored
    playbooks in place of (or beside) them and approved overrides applied to their packs."""
    if directory is None:
        books = {b.id: b for b in shipped_playbooks()}
    else:
        if not directory.is_dir():
            raise ConfigError(f"playbooks: {directory.name} is not a directory",
                              file=str(directory))
        books = {b.id: b for b in (read_playbook(p) for p in sorted(directory.glob("*.yaml")))}
        if not books:
            raise ConfigError(f"playbooks: no *.yaml files in {directory.name}",
                              file=str(directory))
    with store.read() as conn:
        playbooks = approved_versions(conn, "playbook")
        overrides = approved_versions(conn, "override")
    for v in playbooks.values():
        books[v.subject_id] = parse_playbook(v.body, v.subject)
    return with_overrides(build_set(list(books.values()), templates),
                          [v.body for v in overrides.values()])


def packs_with_overrides(conn: Connection, packs: Mapping[str, Pack]) -> dict[str, Pack]:
    """`packs` (by jurisdiction) with the approved override of each jurisdiction applied:
    what the cycle planned under is what the worker re-decides under at send time."""
    return apply_overrides(packs, [v.body for v in approved_versions(conn, "override").values()])


def with_overrides(books: PlaybookSet, bodies: list[str]) -> PlaybookSet:
    """`books` with each override applied to the pack of its jurisdiction."""
    return replace(books, packs=apply_overrides(books.packs, bodies))


def apply_overrides(packs: Mapping[str, Pack], bodies: list[str]) -> dict[str, Pack]:
    """`packs` (by jurisdiction) with each override applied to its jurisdiction's pack; two
    overrides of one jurisdiction are refused."""
    out = dict(packs)
    seen: dict[str, str] = {}
    for body in bodies:
        base = base_pack(body)
        other = seen.setdefault(base.jurisdiction, override_id(body))
        if other != override_id(body):
            raise ConfigError(f"overrides {other} and {override_id(body)} both tighten "
                              f"{base.jurisdiction}: one override per jurisdiction "
                              "(put the rules in one)", jurisdiction=base.jurisdiction)
        if base.jurisdiction in out:
            out[base.jurisdiction] = apply_override(body, override_id(body),
                                                    out[base.jurisdiction])
    return out


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class StrategyReview:
    """Maker-checker over playbook and override versions."""

    def __init__(self, store: Store, templates: TemplateSource) -> None:
        self.store = store
        self.templates = templates

    # ---- commands ---------------------------------------------------------------------------

    def add(self, actor: Actor, kind: str, body: str) -> Version:
        """A new draft (or the author's open draft revised); the id comes from the YAML."""
        k = check_kind(kind)
        subject_id = _subject_id(k, body)
        now = self.store.clock()
        with self.store.transaction(actor.actor_id) as uow:
            versions = _rows(uow.conn, k, subject_id)
            latest = versions[-1] if versions else None
            values = {"body": body, "body_sha256": _sha256(body), "updated_at": now}
            if latest is not None and latest.state == State.IN_REVIEW:
                raise Conflict(f"{latest.subject} is in review; it must be approved or sent "
                               "back first", version=latest.version)
            if latest is not None and latest.state == State.DRAFT:
                if latest.author != actor.actor_id:
                    raise AccessDenied("only the author may revise a draft",
                                       version=latest.version)
                uow.conn.execute(update(strategy_versions).where(
                    _s.kind == k, _s.subject_id == subject_id, _s.version == latest.version,
                    _s.state == State.DRAFT.value).values(**values))
                number, action = latest.version, "strategy.revised"
            else:
                number = 1 if latest is None else latest.version + 1
                uow.conn.execute(insert(strategy_versions).values(
                    kind=k, subject_id=subject_id, version=number, state=State.DRAFT.value,
                    author=actor.actor_id, created_at=now, **values))
                action = "strategy.added"
            v = self._get(uow.conn, k, subject_id, number)
            uow.audit(action, v.subject, {"body_sha256": v.body_sha256})
            return v

    def submit(self, actor: Actor, kind: str, subject_id: str,
               version: int | None = None) -> Version:
        """Send a draft for review: validated, and its 30-day replay stored for the approver."""
        from faircollect.governance.strategy_replay import replay_draft

        k = check_kind(kind)
        with self.store.read() as conn:
            v = self._pick(conn, k, subject_id, version)
        expect(v.state, State.DRAFT, "submit", v.subject)
        draft = self._validated(v)  # ConfigError names the problem; nothing changes
        report = replay_draft(self.store, self.templates, k, v.body, draft)
        with self.store.transaction(actor.actor_id) as uow:
            self._move(uow.conn, v, State.IN_REVIEW, submitted_by=actor.actor_id,
                       submitted_at=self.store.clock(),
                       replay=orjson.dumps(report, option=orjson.OPT_SORT_KEYS).decode())
            uow.audit("strategy.submitted", v.subject, {
                "body_sha256": v.body_sha256, "replay_days": len(report["days"]),
                "replay_changes": report["changes"]})
            return self._get(uow.conn, k, subject_id, v.version)

    def approve(self, actor: Actor, kind: str, subject_id: str,
                version: int | None = None) -> Version:
        """Approve a version in review: compliance or legal, never its author; the older
        approved version of the same id retires."""
        require_reviewer(actor, "approve")
        k = check_kind(kind)
        with self.store.transaction(actor.actor_id) as uow:
            v = self._pick(uow.conn, k, subject_id, version)
            expect(v.state, State.IN_REVIEW, "approve", v.subject)
            require_reviewer(actor, "approve", v.author)
            self._validated(v)  # the templates or packs may have changed since submission
            if k == "override":  # one override per jurisdiction: refused before it runs
                others = [o.body for o in approved_versions(uow.conn, k).values()
                          if o.subject_id != subject_id]
                with_overrides(build_set([], self.templates), [*others, v.body])
            now = self.store.clock()
            for old in _rows(uow.conn, k, subject_id, State.APPROVED):
                self._move(uow.conn, old, State.RETIRED, retired_by=actor.actor_id,
                           retired_at=now)
                uow.audit("strategy.retired", old.subject, {"superseded_by": v.version})
            self._move(uow.conn, v, State.APPROVED, approved_by=actor.actor_id, approved_at=now)
            uow.audit("strategy.approved", v.subject, {
                "body_sha256": v.body_sha256, "author": v.author,
                "replay_sha256": _sha256(orjson.dumps(v.replay, option=orjson.OPT_SORT_KEYS)
                                         .decode()) if v.replay else None})
            return self._get(uow.conn, k, subject_id, v.version)

    def send_back(self, actor: Actor, kind: str, subject_id: str,
                  version: int | None = None) -> Version:
        """A reviewer returns a version in review to its author."""
        require_reviewer(actor, "send back")
        k = check_kind(kind)
        with self.store.transaction(actor.actor_id) as uow:
            v = self._pick(uow.conn, k, subject_id, version)
            expect(v.state, State.IN_REVIEW, "send back", v.subject)
            self._move(uow.conn, v, State.DRAFT, submitted_by=None, submitted_at=None)
            uow.audit("strategy.sent_back", v.subject, {})
            return self._get(uow.conn, k, subject_id, v.version)

    def retire(self, actor: Actor, kind: str, subject_id: str) -> Version:
        """Withdraw the approved version (the shipped playbook, or the bare pack, runs again)."""
        require_reviewer(actor, "retire")
        k = check_kind(kind)
        with self.store.transaction(actor.actor_id) as uow:
            live = _rows(uow.conn, k, subject_id, State.APPROVED)
            if not live:
                raise NotFound(f"no approved {k} {subject_id}", id=subject_id)
            v = live[-1]
            self._move(uow.conn, v, State.RETIRED, retired_by=actor.actor_id,
                       retired_at=self.store.clock())
            uow.audit("strategy.retired", v.subject, {})
            return self._get(uow.conn, k, subject_id, v.version)

    # ---- queries ----------------------------------------------------------------------------

    def list(self, kind: str) -> list[Version]:
        with self.store.read() as conn:
            return _rows(conn, check_kind(kind))

    def review(self, kind: str, subject_id: str, version: int | None = None) -> dict[str, Any]:
        """What the approver sees: the version, its diff against what runs now, its replay."""
        k = check_kind(kind)
        with self.store.read() as conn:
            v = self._pick(conn, k, subject_id, version)
            live = approved_versions(conn, k).get(subject_id)
        before, name = self._running_text(k, subject_id, live)
        return {**v.to_json(), "diff": text_diff(before, v.body, name, v.subject),
                "replay": v.replay}

    def _running_text(self, kind: Kind, subject_id: str,
                      live: Version | None) -> tuple[str, str]:
        if live is not None:
            return live.body, live.subject
        if kind == "playbook":
            from importlib import resources

            folder = resources.files("faircollect.strategy").joinpath("playbooks")
            for f in folder.iterdir():
                if f.name.endswith(".yaml"):
                    text = f.read_text("utf-8")
                    if parse_playbook(text, f.name).id == subject_id:
                        return text, f"shipped:{f.name}"
        return "", "(nothing runs now)"

    # ---- helpers ----------------------------------------------------------------------------

    def _validated(self, v: Version) -> Playbook | str:
        """The parsed draft (playbook) or its body (override), validated in context."""
        if v.kind == "playbook":
            from faircollect.strategy.library import check_playbook

            return check_playbook(v.body, self.templates, where=v.subject)
        apply_override(v.body, v.subject)
        return v.body

    def _pick(self, conn: Connection, kind: str, subject_id: str,
              version: int | None) -> Version:
        if version is not None:
            return self._get(conn, kind, subject_id, version)
        rows = _rows(conn, kind, subject_id)
        if not rows:
            raise NotFound(f"no {kind} {subject_id} under review", id=subject_id)
        return rows[-1]

    def _get(self, conn: Connection, kind: str, subject_id: str, version: int) -> Version:
        row = conn.execute(select(strategy_versions).where(
            _s.kind == kind, _s.subject_id == subject_id, _s.version == version)
        ).mappings().first()
        if row is None:
            raise NotFound(f"no {kind} {subject_id} v{version}", id=subject_id, version=version)
        return _version(row)

    def _move(self, conn: Connection, v: Version, to: State, **values: Any) -> None:
        result = conn.execute(update(strategy_versions).where(
            _s.kind == v.kind, _s.subject_id == v.subject_id, _s.version == v.version,
            _s.state == v.state.value).values(state=to.value, updated_at=self.store.clock(),
                                              **values))
        if result.rowcount != 1:
            raise Conflict(f"{v.subject} changed meanwhile", version=v.version)


def describe_changes(replay: Mapping[str, Any]) -> str:
    """One line for people: what the draft would have changed."""
    c = replay["changes"]
    return (f"attempts {c['attempts']:+d}, denials {c['denied']:+d}, "
            f"contact persons reached {c['contact_persons_reached']:+d} over "
            f"{len(replay['days'])} day(s)")
