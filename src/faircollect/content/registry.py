"""The template registry: maker-checker review of message templates, every step audited.

draft -> in_review -> approved -> retired; a reviewer may send in_review back to draft.
The approver must hold the `compliance` role and must not be the author; lint findings
block submission and approval; an approved version never changes (a change is a new version).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from faircollect.content.linter import lexicon_version, lint
from faircollect.content.rendering import Value, render_checked
from faircollect.content.template import COMPLIANCE_ROLE, Actor, State, Template, TemplateDraft
from faircollect.errors import AccessDenied, Conflict, NotFound
from faircollect.store.tables.content import templates
from faircollect.store.unit_of_work import Store


class TemplateRegistry:
    """Service over the `templates` table; each command is one audited transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- commands ---------------------------------------------------------------------------

    def add(self, actor: Actor, draft: TemplateDraft) -> Template:
        """Create a template, or its next version; an open draft of it is revised in place."""
        now = self.store.clock()
        digest = _sha256(draft.body)
        with self.store.transaction(actor=actor.actor_id) as uow:
            latest = _latest(uow.conn, draft.template_id)
            values: dict[str, Any] = {
                "locale": draft.locale, "channel": draft.channel, "audience": draft.audience,
                "purpose": draft.purpose, "jurisdiction": draft.jurisdiction,
                "body": draft.body, "body_sha256": digest, "updated_at": now,
            }
            if latest is not None and latest.state == State.IN_REVIEW:
                raise Conflict(f"template {draft.template_id} v{latest.version} is in review; "
                               "it must be approved or sent back first",
                               template=draft.template_id, version=latest.version)
            if latest is not None and latest.state == State.DRAFT:
                if latest.author != actor.actor_id:
                    raise AccessDenied("only the author may revise a draft",
                                       template=draft.template_id, version=latest.version)
                uow.conn.execute(update(templates).where(
                    templates.c.template_id == draft.template_id,
                    templates.c.version == latest.version,
                    templates.c.state == State.DRAFT.value).values(**values))
                version, action = latest.version, "template.revised"
            else:
                version = 1 if latest is None else latest.version + 1
                uow.conn.execute(insert(templates).values(
                    template_id=draft.template_id, version=version, state=State.DRAFT.value,
                    author=actor.actor_id, created_at=now, **values))
                action = "template.added"
            uow.audit(action, _subject(draft.template_id, version),
                      {"version": version, "state": State.DRAFT.value, "body_sha256": digest})
            return _get(uow.conn, draft.template_id, version)

    def submit(self, actor: Actor, template_id: str, version: int | None = None) -> Template:
        """Send a draft for review; refused while the lint finds anything."""
        with self.store.transaction(actor=actor.actor_id) as uow:
            t = _pick(uow.conn, template_id, version)
            _expect(t, State.DRAFT, "submit")
            _require_clean(t)
            self._move(uow.conn, t, State.IN_REVIEW, submitted_by=actor.actor_id,
                       submitted_at=self.store.clock())
            uow.audit("template.submitted", _subject(t.template_id, t.version),
                      {"version": t.version, "state": State.IN_REVIEW.value})
            return _get(uow.conn, t.template_id, t.version)

    def approve(self, actor: Actor, template_id: str, version: int | None = None) -> Template:
        """Approve a version in review: compliance role, not the author, lint clean."""
        _require_compliance(actor, "approve")
        with self.store.transaction(actor=actor.actor_id) as uow:
            t = _pick(uow.conn, template_id, version)
            _expect(t, State.IN_REVIEW, "approve")
            if actor.actor_id == t.author:
                raise AccessDenied("maker-checker: the author may not approve their own template",
                                   template=t.template_id, version=t.version)
            _require_clean(t)  # re-lint: the rules may have changed since submission
            rules = lexicon_version(t.locale)
            # Approving any version retires the older approved one: one live version per id.
            for old in _all(uow.conn, t.template_id):
                if old.state == State.APPROVED:
                    self._move(uow.conn, old, State.RETIRED, retired_by=actor.actor_id,
                               retired_at=self.store.clock())
                    uow.audit("template.retired", _subject(old.template_id, old.version),
                              {"version": old.version, "superseded_by": t.version})
            self._move(uow.conn, t, State.APPROVED, approved_by=actor.actor_id,
                       approved_at=self.store.clock(), lexicon_version=rules)
            uow.audit("template.approved", _subject(t.template_id, t.version),
                      {"version": t.version, "body_sha256": t.body_sha256, "lexicon": rules})
            return _get(uow.conn, t.template_id, t.version)

    def send_back(self, actor: Actor, template_id: str, version: int | None = None) -> Template:
        """A reviewer returns a version in review to its author as a draft."""
        _require_compliance(actor, "send back")
        with self.store.transaction(actor=actor.actor_id) as uow:
            t = _pick(uow.conn, template_id, version)
            _expect(t, State.IN_REVIEW, "send back")
            self._move(uow.conn, t, State.DRAFT, submitted_by=None, submitted_at=None)
            uow.audit("template.sent_back", _subject(t.template_id, t.version),
                      {"version": t.version, "state": State.DRAFT.value})
            return _get(uow.conn, t.template_id, t.version)

    def retire(self, actor: Actor, template_id: str, version: int | None = None) -> Template:
        """Withdraw an approved version from use (compliance role)."""
        _require_compliance(actor, "retire")
        with self.store.transaction(actor=actor.actor_id) as uow:
            t = _pick(uow.conn, template_id, version, state=State.APPROVED)
            _expect(t, State.APPROVED, "retire")
            self._move(uow.conn, t, State.RETIRED, retired_by=actor.actor_id,
                       retired_at=self.store.clock())
            uow.audit("template.retired", _subject(t.template_id, t.version),
                      {"version": t.version})
            return _get(uow.conn, t.template_id, t.version)

    # ---- queries ----------------------------------------------------------------------------

    def get(self, template_id: str, version: int | None = None) -> Template:
        """A version (default: the newest)."""
        with self.store.read() as conn:
            return _pick(conn, template_id, version)

    def approved(self, template_id: str) -> Template:
        """The approved version of a template, the only one that may be sent."""
        with self.store.read() as conn:
            t = _pick(conn, template_id, None, state=State.APPROVED)
        if t.state != State.APPROVED:
            raise NotFound(f"template {template_id} has no approved version", template=template_id)
        return t

    def list(self, state: State | None = None) -> list[Template]:
        """Every version, optionally of one state, ordered by id and version."""
        q = select(templates).order_by(templates.c.template_id, templates.c.version)
        if state is not None:
            q = q.where(templates.c.state == state.value)
        with self.store.read() as conn:
            return [_template(r) for r in conn.execute(q).mappings()]

    def render(self, template_id: str, values: Mapping[str, Value]) -> str:
        """Render the approved version with `values` and lint the result before dispatch."""
        t = self.approved(template_id)
        return render_checked(t.body, values, locale=t.locale, audience=t.audience,
                              channel=t.channel)

    # ---- helpers ----------------------------------------------------------------------------

    def _move(self, conn: Connection, t: Template, to: State, **values: Any) -> None:
        # The WHERE on the old state makes a concurrent transition lose instead of overwrite.
        result = conn.execute(update(templates).where(
            templates.c.template_id == t.template_id, templates.c.version == t.version,
            templates.c.state == t.state.value,
        ).values(state=to.value, updated_at=self.store.clock(), **values))
        if result.rowcount != 1:
            raise Conflict(f"template {t.template_id} v{t.version} changed meanwhile",
                           template=t.template_id, version=t.version)


def approved_template(conn: Connection, template_id: str) -> Template | None:
    """The approved version of `template_id` read on `conn` (a caller's transaction), or None."""
    row = conn.execute(select(templates).where(
        templates.c.template_id == template_id, templates.c.state == State.APPROVED.value)
        .order_by(templates.c.version.desc()).limit(1)).mappings().first()
    return None if row is None else _template(row)


def _require_compliance(actor: Actor, what: str) -> None:
    if not actor.has(COMPLIANCE_ROLE):
        raise AccessDenied(f"to {what} a template needs the '{COMPLIANCE_ROLE}' role",
                           role=COMPLIANCE_ROLE)


def _require_clean(t: Template) -> None:
    findings = lint(t.body, locale=t.locale, audience=t.audience, channel=t.channel)
    if findings:
        raise Conflict(
            f"template {t.template_id} v{t.version} has lint findings: "
            + ", ".join(f"{f.category.value}/{f.rule} at {f.span[0]}-{f.span[1]}"
                        for f in findings),
            template=t.template_id, version=t.version, rules=sorted({f.rule for f in findings}),
        )


def _expect(t: Template, state: State, what: str) -> None:
    if t.state != state:
        raise Conflict(f"cannot {what} template {t.template_id} v{t.version}: it is {t.state.value}",
                       template=t.template_id, version=t.version, state=t.state.value)


def _subject(template_id: str, version: int) -> str:
    return f"template:{template_id}@{version}"


def _sha256(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _latest(conn: Connection, template_id: str) -> Template | None:
    row = conn.execute(select(templates).where(templates.c.template_id == template_id)
                       .order_by(templates.c.version.desc()).limit(1)).mappings().first()
    return None if row is None else _template(row)


def _all(conn: Connection, template_id: str) -> list[Template]:
    rows = conn.execute(select(templates).where(templates.c.template_id == template_id)
                        .order_by(templates.c.version)).mappings()
    return [_template(r) for r in rows]


def _pick(conn: Connection, template_id: str, version: int | None,
          state: State | None = None) -> Template:
    if version is not None:
        return _get(conn, template_id, version)
    q = select(templates).where(templates.c.template_id == template_id)
    if state is not None:
        q = q.where(templates.c.state == state.value)
    row = conn.execute(q.order_by(templates.c.version.desc()).limit(1)).mappings().first()
    if row is not None:
        return _template(row)
    latest = _latest(conn, template_id) if state is not None else None
    if latest is None:
        raise NotFound(f"no template {template_id}", template=template_id)
    return latest  # none in the wanted state: the caller's state check names the actual one


def _get(conn: Connection, template_id: str, version: int) -> Template:
    row = conn.execute(select(templates).where(
        templates.c.template_id == template_id, templates.c.version == version)).mappings().first()
    if row is None:
        raise NotFound(f"no template {template_id} v{version}", template=template_id,
                       version=version)
    return _template(row)


def _template(r: RowMapping) -> Template:
    return Template(
        template_id=r["template_id"], version=r["version"], locale=r["locale"],
        channel=r["channel"], audience=r["audience"], purpose=r["purpose"],
        jurisdiction=r["jurisdiction"], body=r["body"], body_sha256=r["body_sha256"],
        state=State(r["state"]), author=r["author"], created_at=r["created_at"],
        submitted_by=r["submitted_by"], approved_by=r["approved_by"],
        approved_at=r["approved_at"], lexicon_version=r["lexicon_version"],
        retired_by=r["retired_by"], retired_at=r["retired_at"],
    )

