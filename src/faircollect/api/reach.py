"""Who may reach which borrower over HTTP, in the access guard's terms.

A borrower reaches only themself; a collector only the cases assigned to them (the guard's
`assigned` scope); every other case-working staff role reaches all borrowers. The `legal`
role is staff that reaches no borrower at all: it reads strategies, replays and reports and
approves strategies (READERS, REVIEWERS), and the access policy gives it no purpose of access. Routes also name the roles
that may use them at all. Purposes of access default per role to the one the role states
for routine work, and may be given explicitly (`?purpose=`); the guard refuses any other.
"""

from __future__ import annotations

from collections.abc import Collection

from faircollect.access.assignment import assigned_borrowers
from faircollect.access.guard import Actor
from faircollect.api.auth import Principal
from faircollect.bootstrap import App
from faircollect.errors import AccessDenied

STAFF: tuple[str, ...] = ("collector", "supervisor", "compliance", "auditor", "admin")
EVERYONE: tuple[str, ...] = (*STAFF, "borrower")
# Staff who read strategies, replays and reports: every staff role, legal included.
READERS: tuple[str, ...] = (*STAFF, "legal")
# Who approves strategies (playbooks and pack overrides); never their author.
REVIEWERS: tuple[str, ...] = ("compliance", "legal")
DEFAULT_PURPOSE = {
    "collector": "collection",
    "supervisor": "quality_assurance",
    "compliance": "complaint_handling",
    "auditor": "quality_assurance",
    "admin": "data_subject_request",
    "borrower": "self_service",
}


def require_role(who: Principal, roles: Collection[str]) -> None:
    """AccessDenied unless the caller's role is one of `roles`."""
    if who.role not in roles:
        raise AccessDenied(f"the role {who.role!r} may not do this", role=who.role)


def require_reach(app: App, who: Principal, borrower_id: str) -> None:
    """AccessDenied unless the caller may act on this borrower (see the module note)."""
    if who.role == "borrower":
        if who.borrower_id != borrower_id:
            raise AccessDenied("a borrower may act only on their own account")
    elif who.role not in STAFF:
        raise AccessDenied(f"the role {who.role!r} reaches no borrower", role=who.role)
    elif who.role == "collector":
        with app.store.read() as conn:
            if not assigned_borrowers(conn, who.actor_id, [borrower_id]):
                raise AccessDenied("this case is not assigned to you")


def assigned_to(app: App, who: Principal) -> set[str] | None:
    """The borrowers a caller is limited to in listings (None: no limit)."""
    if who.role == "borrower":
        return {who.borrower_id} if who.borrower_id else set()
    if who.role == "collector":
        with app.store.read() as conn:
            return assigned_borrowers(conn, who.actor_id)
    if who.role not in STAFF:
        return set()
    return None


def guard_actor(who: Principal) -> Actor:
    """The access guard's view of the caller."""
    return Actor(who.actor_id, who.role, who.borrower_id)


def purpose_for(who: Principal, purpose: str | None) -> str:
    """The purpose of access a read states: the one asked for, or the role's routine one."""
    return purpose or DEFAULT_PURPOSE.get(who.role, "")
