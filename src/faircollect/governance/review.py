"""Maker-checker for strategies: the template registry's workflow applied to playbooks and
rule-pack overrides (pure: states, who may move them, what the approver is shown).

The states and the actor are the content registry's own (`content.template.State`, `Actor`),
so a template, a playbook and an override go through one vocabulary:
draft -> in_review -> approved -> retired, and in_review -> draft when sent back.
Reviewing needs the `compliance` or `legal` role, and never the author's own version.
"""

from __future__ import annotations

import difflib
from typing import Literal

from faircollect.content.template import COMPLIANCE_ROLE, Actor, State
from faircollect.errors import AccessDenied, Conflict, InputError

Kind = Literal["playbook", "override"]
KINDS: tuple[str, ...] = ("playbook", "override")
REVIEWER_ROLES: tuple[str, ...] = (COMPLIANCE_ROLE, "legal")
REPLAY_DAYS = 30

__all__ = ["KINDS", "REPLAY_DAYS", "REVIEWER_ROLES", "Actor", "Kind", "State", "check_kind",
           "expect", "require_reviewer", "text_diff"]


def check_kind(kind: str) -> Kind:
    """`kind` when it is one of KINDS; else an InputError naming them."""
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}", field="kind")
    return kind  # type: ignore[return-value]


def require_reviewer(actor: Actor, what: str, author: str | None = None) -> None:
    """AccessDenied unless the actor may review (role), and is not the author."""
    if not any(actor.has(r) for r in REVIEWER_ROLES):
        raise AccessDenied(f"to {what} a strategy needs the 'compliance' or 'legal' role",
                           role=COMPLIANCE_ROLE)
    if author is not None and actor.actor_id == author:
        raise AccessDenied(f"maker-checker: the author may not {what} their own version",
                           actor=actor.actor_id)


def expect(state: State, wanted: State, what: str, subject: str) -> None:
    """Conflict unless the version is in the state the step needs."""
    if state != wanted:
        raise Conflict(f"cannot {what} {subject}: it is {state.value}", state=state.value)


def text_diff(before: str, after: str, before_name: str, after_name: str) -> str:
    """A unified diff of two YAML texts (what the approver reads)."""
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=before_name, tofile=after_name))
