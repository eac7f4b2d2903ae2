"""The portal's contact persons through a real server (uvicorn on loopback, httpx): a
borrower signs in with a code, adds a contact person (consent recorded with the notice they
ticked), sees only a masked hint of the phone, removes the person again."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _privacy_seed import seed  # noqa: E402
from live_server import live_client  # noqa: E402

from faircollect.api.app import create_app  # noqa: E402
from faircollect.consent.ledger import ConsentLedger  # noqa: E402
from faircollect.store.tables.foundation import contacts  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def test_a_borrower_adds_and_removes_a_contact_person_in_the_portal(app) -> None:  # type: ignore[no-untyped-def]
    seed(app)
    with live_client(create_app(app.settings, rate_limit=0)) as c:
        token = CSRF.search(c.get("/portal/sign-in").text).group(1)  # type: ignore[union-attr]
        assert c.post("/portal/code", data={"csrf": token, "borrower_id": "b-2",
                                            "channel": "sms"}).status_code == 200
        sent = (app.settings.home / "sent" / "messages.jsonl").read_text().splitlines()
        code = re.search(r"\b(\d{6})\b", json.loads(sent[-1])["body"]).group(1)  # type: ignore[union-attr]
        r = c.post("/portal/sign-in", data={"csrf": token, "borrower_id": "b-2", "code": code},
                   follow_redirects=False)
        assert r.status_code == 303, r.text[:300]
        home = c.get("/portal")
        assert "Add a contact person" in home.text
        token = CSRF.search(home.text).group(1)  # type: ignore[union-attr]
        form = {"csrf": token, "name": "Dana Doe", "phone": "(212) 555-0142",
                "relation": "sibling"}
        r = c.post("/portal/contacts", data=form)  # the consent box not ticked
        assert r.status_code == 422 and "tick the box" in r.text
        r = c.post("/portal/contacts", data={**form, "agree": "yes"})
        assert r.status_code == 200, r.text[:500]
        assert "Your contact person is added." in r.text
        assert "•• 42" in r.text
        assert "555-0142" not in r.text and "2125550142" not in r.text and "Dana" not in r.text
        with app.store.read() as conn:
            cid = conn.execute(select(contacts.c.contact_id).where(
                contacts.c.borrower_id == "b-2", contacts.c.relation == "sibling",
                contacts.c.phone_ct.is_not(None))).scalar_one()
        ledger = ConsentLedger(app.store, app.keys)
        assert ledger.valid("b-2", "contact_designated_contact", cid, app.store.clock())
        assert f"/portal/contacts/{cid}/remove" in r.text
        r = c.post(f"/portal/contacts/{cid}/remove", data={"csrf": token})
        assert r.status_code == 200 and "Your contact person is removed" in r.text
        assert f"/portal/contacts/{cid}/remove" not in r.text
        assert not ledger.valid("b-2", "contact_designated_contact", cid, app.store.clock())
        assert c.post("/portal/contacts/c-1/remove", data={"csrf": token}).status_code == 403
        assert c.post(f"/portal/contacts/{cid}/remove").status_code == 403  # no CSRF token
