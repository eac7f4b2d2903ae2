"""Borrowers sign in with a one-time code sent to their own verified channel (SQLite and
PostgreSQL): the code goes to the borrower's own address only, works once, expires, allows
few tries, and the request route says nothing about who is a borrower."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from _privacy_seed import seed  # noqa: E402
from live_server import live_client

from faircollect.api.app import create_app  # noqa: E402
from faircollect.store.tables.foundation import borrowers  # noqa: E402

PROBLEM = "application/problem+json"


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    seed(app)
    with live_client(create_app(app.settings, rate_limit=0)) as c:
        yield c


def _sent(app: Any) -> list[dict[str, Any]]:
    path = app.settings.home / "sent" / "messages.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _code(app: Any) -> str:
    found = re.search(r"\b(\d{6})\b", _sent(app)[-1]["body"])
    assert found
    return found.group(1)


def _ask(client: httpx.Client, borrower_id: str, channel: str = "sms") -> Any:
    return client.post("/v1/oauth/otp", data={"borrower_id": borrower_id, "channel": channel})


def _login(client: httpx.Client, borrower_id: str, code: str) -> Any:
    return client.post("/v1/oauth/token", data={"grant_type": "otp",
                                                "borrower_id": borrower_id, "code": code})


def test_code_signs_the_borrower_in_once(client, app) -> None:  # type: ignore[no-untyped-def]
    r = _ask(client, "b-2")
    assert r.status_code == 202, r.text
    sent = _sent(app)
    assert len(sent) == 1 and sent[0]["borrower_id"] == "b-2"
    assert sent[0]["audience"] == "borrower" and sent[0]["contact_id"] is None
    code = _code(app)
    wrong = _login(client, "b-2", "000000" if code != "000000" else "111111")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    ok = _login(client, "b-2", code)
    assert ok.status_code == 200, ok.text
    token = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    assert client.get("/v1/borrowers/b-2/loans", headers=token).status_code == 200
    assert client.get("/v1/borrowers/b-1/loans", headers=token).status_code == 403
    assert client.get("/v1/borrowers", headers=token).status_code == 403
    assert _login(client, "b-2", code).status_code == 400  # used once
    assert _login(client, "b-1", code).status_code == 400  # another borrower's


def test_request_reveals_nothing_and_sends_only_to_verified_own_channels(client, app) -> None:  # type: ignore[no-untyped-def]
    assert _ask(client, "b-404").status_code == 202
    assert _ask(client, "b-3", "email").status_code == 202  # no e-mail on file
    assert _sent(app) == []
    with app.store.transaction("test") as uow:
        uow.conn.execute(update(borrowers).where(borrowers.c.borrower_id == "b-1")
                         .values(phone_unverified=True))
    assert _ask(client, "b-1", "sms").status_code == 202
    assert _sent(app) == []
    assert _ask(client, "b-1", "email").status_code == 202
    assert [m["channel"] for m in _sent(app)] == ["email"]
    bad = _ask(client, "b-1", "call")
    assert bad.status_code == 400 and bad.headers["content-type"] == PROBLEM


def test_few_codes_and_few_tries(client, app) -> None:  # type: ignore[no-untyped-def]
    for _ in range(4):
        assert _ask(client, "b-2").status_code == 202
    assert len(_sent(app)) == 3  # at most three codes in fifteen minutes
    code = _code(app)
    for _ in range(5):
        assert _login(client, "b-2", "999999" if code != "999999" else "888888"
                      ).status_code == 400
    assert _login(client, "b-2", code).status_code == 400  # five wrong tries end it


def test_the_code_is_in_the_borrower_s_language_or_not_sent(client, app) -> None:  # type: ignore[no-untyped-def]
    with app.store.transaction("test") as uow:
        uow.conn.execute(update(borrowers).where(borrowers.c.borrower_id == "b-2")
                         .values(locale="id-ID"))
    assert _ask(client, "b-2").status_code == 202
    assert _sent(app)[-1]["body"].startswith("Kode masuk FairCollect Anda adalah ")
    with app.store.transaction("test") as uow:  # a language with no text: nothing at all
        uow.conn.execute(update(borrowers).where(borrowers.c.borrower_id == "b-2")
                         .values(locale="sw-KE"))
    assert _ask(client, "b-2").status_code == 202
    assert len(_sent(app)) == 1


def test_a_code_that_could_not_be_sent_does_not_sign_in(app) -> None:  # type: ignore[no-untyped-def]
    import dataclasses
    import socket

    from sqlalchemy import func, select

    from faircollect.store.tables.api import api_otp_codes
    from faircollect.store.tables.audit import audit_entries

    seed(app)
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = dataclasses.replace(app.settings, channel=f"smtp://127.0.0.1:{port}")
    with live_client(create_app(settings, rate_limit=0)) as c:
        r = c.post("/v1/oauth/otp", data={"borrower_id": "b-1", "channel": "email"})
        assert r.status_code == 202  # as for anyone: nothing tells this borrower exists
        for guess in ("000000", "123456"):
            assert _login(c, "b-1", guess).status_code == 400
    with app.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(api_otp_codes)).scalar_one() == 0
        actions = list(conn.execute(select(audit_entries.c.action)).scalars())
    assert "auth.otp_failed" in actions
