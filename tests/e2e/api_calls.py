"""What the API tests share: credentials for a role, and the check of a refused call."""

from __future__ import annotations

from typing import Any

from faircollect.api.auth import issue_key

PROBLEM = "application/problem+json"


def bearer(app: Any, role: str, borrower_id: str | None = None, actor: str | None = None
           ) -> dict[str, str]:
    """An Authorization header with a fresh key for `role` (a borrower key for b-2, the
    privacy seed's borrower, unless `borrower_id` names another)."""
    if role == "borrower" and borrower_id is None:
        borrower_id = "b-2"
    key = issue_key(app.settings.home, actor_id=actor or f"t-{role}", role=role,
                    borrower_id=borrower_id)
    return {"Authorization": f"Bearer {key}"}


def refused(r: Any, status: int) -> None:
    """`r` was refused with `status`, as an RFC 9457 problem."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
