"""Helpers for the web-face tests: a TestClient bound to the test's App, sign-ins, forms."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from faircollect.bootstrap import App
from faircollect.errors import Conflict
from faircollect.store.tables.audit import audit_entries
from faircollect.web.services import staff

PASSWORD = "correct horse battery staple"


def client_for(app: App) -> TestClient:
    from faircollect.api.app import create_app

    c = TestClient(create_app(app.settings, rate_limit=0), base_url="http://testserver")
    c.app.state.services = app  # type: ignore[attr-defined]  # the test's store and clock
    return c


def csrf(c: TestClient, page: str = "/console/sign-in") -> str:
    r = c.get(page)
    found = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert found, r.text[:500]
    return found.group(1)


def staff_sign_in(c: TestClient, app: App, username: str, role: str,
                  at: datetime | None = None) -> None:
    with contextlib.suppress(Conflict):  # made already in this test
        staff.add_staff(app, actor="test", username=username, role=role, password=PASSWORD,
                        demo=True)
    code = staff.current_code(app, username, at)
    r = c.post("/console/sign-in", data={"csrf": csrf(c), "username": username,
                                          "password": PASSWORD, "code": code},
               follow_redirects=False)
    assert r.status_code == 303, r.text[:800]


def audit_actions(app: App) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        return [json.loads(r) for r in conn.execute(
            select(audit_entries.c.record).order_by(audit_entries.c.seq)).scalars()]
