"""The ordinary path of a contact person's refusal: the daily cycle's message to them carries
their one-time link, the file channel sends it, the link opens their page on a real server,
they refuse there, and the next day's cycle plans nothing for them.

Seeded portfolio (300 borrowers, seed 7) simulated day by day until the planner messages a
designated contact, as in `test_contact_refusal_cycle.py`.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select

from faircollect.api.app import create_app
from faircollect.bootstrap import build_app
from faircollect.config import Secret, Settings
from faircollect.cycle import cycle_playbooks, run_cycle, run_range
from faircollect.demo import run_demo
from faircollect.dispatch.channels.file import FileChannel
from faircollect.dispatch.worker import dispatch_due
from faircollect.store.tables.cycle import planned_attempts
from faircollect.store.tables.foundation import contacts
from faircollect.store.tables.web import web_contact_links
from faircollect.store.unit_of_work import Store
from faircollect.strategy.loader import load_inputs
from faircollect.strategy.planner import plan_day
from faircollect.strategy.simulation import SimClock
from faircollect.web.services.contact_links import _digest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from live_server import live_client  # noqa: E402
from webclient import audit_actions  # noqa: E402

AS_OF = date(2026, 5, 3)
PUBLIC = "https://collect.example.test/fc"
LINK = re.compile(re.escape(PUBLIC) + r"/contact/([A-Za-z0-9_-]{32})(?=\s|$)")


def _contact_steps(app, books, day: date) -> set[str]:  # type: ignore[no-untyped-def]
    min_dpd = min(s.dpd_from for b in books.playbooks.values() for s in b.stages)
    with app.store.read() as conn:
        inputs, _ = load_inputs(conn, day, min_dpd=min_dpd)
    attempts = plan_day(inputs, books, day).attempts
    return set(attempts.filter(pl.col("audience") != "borrower")["contact_id"].to_list())


@pytest.mark.slow
def test_a_contact_person_refuses_through_the_link_in_the_cycle_message(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings(home=home, database_url=Secret(f"sqlite:///{home}/fc.db"),
                        public_url=PUBLIC)
    app = build_app(settings)
    try:
        run_demo(app, borrowers=300, seed=7, as_of=AS_OF, say=lambda _: None,
                 simulate_days=15)
        books = cycle_playbooks(app)
        day = AS_OF + timedelta(days=1)
        while not _contact_steps(app, books, day):
            assert day < AS_OF + timedelta(days=25), "no contact-person step fell due"
            run_range(app, day, day, books=books, simulate=True, seed=7)
            day += timedelta(days=1)
        run_cycle(app, day, books=books)  # the ordinary cycle: plan, decide, enqueue
        out = tmp_path / "out"  # sent as the simulation sends a day: at the planned times
        horizon = datetime.combine(day + timedelta(days=1), time(12), UTC)
        clock = SimClock(horizon)
        dispatch_due(Store(app.store.engine, clock=clock), app.vault, FileChannel(out, clock),
                     up_to=horizon, at_planned_time=True)
        lines = [json.loads(x) for x in (out / "messages.jsonl").read_text("utf-8").splitlines()]
        to_contacts = [x for x in lines if x["audience"] != "borrower"]
        assert to_contacts, "the cycle sent no message to a contact person"
        for x in lines:  # every contact message has exactly one link; no borrower message has
            assert len(LINK.findall(x["body"])) == (x["audience"] != "borrower")
        sent = to_contacts[0]
        target = sent["contact_id"]
        token = LINK.search(sent["body"]).group(1)  # type: ignore[union-attr]
        # The URL is the base and the token: no contact id, borrower id, phone or amount.
        url = LINK.search(sent["body"]).group(0)  # type: ignore[union-attr]
        assert url == f"{PUBLIC}/contact/{token}"
        with app.store.read() as conn:
            stored = conn.execute(select(web_contact_links.c.token_digest).where(
                web_contact_links.c.contact_id == target)).scalars().all()
            assert not conn.execute(select(contacts.c.refused_contact).where(
                contacts.c.contact_id == target)).scalar_one()
        assert _digest(token) in stored and token not in stored  # kept as its digest only
        assert sum(a["action"] == "web.contact_link_issued" for a in audit_actions(app)) >= 1

        with live_client(create_app(settings, rate_limit=0)) as c:
            page = c.get(f"/contact/{token}")
            assert page.status_code == 200
            assert "/refuse" in page.text
            form = re.search(r'action="(/contact/[^"]+/refuse)".*?name="csrf" value="([^"]+)"',
                             page.text, re.S)
            assert form, page.text[:600]
            r = c.post(form.group(1), data={"csrf": form.group(2)}, follow_redirects=False)
            assert r.status_code == 303, r.text[:400]
            assert c.get("/contact/" + "A" * 32).status_code == 404  # a made-up token
        with app.store.read() as conn:
            assert conn.execute(select(contacts.c.refused_contact).where(
                contacts.c.contact_id == target)).scalar_one()
        assert any(a["action"] == "contact.refused" and a["subject"] == f"contact:{target}"
                   for a in audit_actions(app))

        nxt = day + timedelta(days=1)
        assert target not in _contact_steps(app, books, nxt)
        result = run_cycle(app, nxt, books=books)
        assert result.attempts > 0
        with app.store.read() as conn:
            assert conn.execute(select(planned_attempts.c.attempt_id).where(
                planned_attempts.c.business_date == nxt,
                planned_attempts.c.contact_id == target)).all() == []
    finally:
        app.store.dispose()
