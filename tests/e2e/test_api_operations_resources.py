"""Policy packs, rules and replays, playbooks, cycle runs, the outbox, the audit log and
reports over HTTP (SQLite and PostgreSQL), on a generated portfolio: each route answers
the right role, and refuses the wrong role and no credentials."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_calls import refused as _refused
from live_server import live_client

from faircollect.api.app import create_app
from faircollect.api.auth import issue_key
from faircollect.demo import approve_starter_library
from faircollect.portfolio.generator import generate_portfolio
from faircollect.portfolio.importer import import_portfolio
from faircollect.strategy.library import shipped_playbooks

AS_OF = date(2026, 3, 1)
DAY = "2026-03-02"


@pytest.fixture
def client(app, tmp_path: Path) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    generate_portfolio(tmp_path / "pf", borrowers=150, seed=11, as_of=AS_OF)
    import_portfolio(app, tmp_path / "pf", actor="test")
    approve_starter_library(app)
    with live_client(create_app(app.settings, rate_limit=0)) as c:
        yield c


def _key(app: Any, role: str) -> dict[str, str]:
    key = issue_key(app.settings.home, actor_id=f"t-{role}", role=role,
                    borrower_id="b-0000001" if role == "borrower" else None)
    return {"Authorization": f"Bearer {key}"}


def _guarded(client: httpx.Client, method: str, path: str, wrong: dict[str, str],
             **kw: Any) -> None:
    _refused(client.request(method, path, headers=wrong, **kw), 403)
    _refused(client.request(method, path, **kw), 401)


def test_cycle_outbox_and_reports(client, app) -> None:  # type: ignore[no-untyped-def]
    sup, borrower, collector = _key(app, "supervisor"), _key(app, "borrower"), _key(
        app, "collector")
    _guarded(client, "POST", "/v1/cycle-runs", collector, json={"business_date": DAY})
    started = client.post("/v1/cycle-runs", json={"business_date": DAY}, headers=sup)
    assert started.status_code == 201, started.text
    run = started.json()
    assert run["status"] == "done" and run["result"]["enqueued"] > 0
    again = client.post("/v1/cycle-runs", json={"business_date": DAY}, headers=sup)
    assert again.status_code == 200 and again.json()["result"]["enqueued"] == 0
    assert client.get(f"/v1/cycle-runs/{DAY}", headers=sup).json()["status"] == "done"
    listed = client.get("/v1/cycle-runs", headers=_key(app, "auditor")).json()
    assert [r["business_date"] for r in listed["runs"]] == [DAY]
    _refused(client.get("/v1/cycle-runs/2026-01-01", headers=sup), 404)
    _guarded(client, "GET", f"/v1/cycle-runs/{DAY}", collector)
    _guarded(client, "GET", "/v1/cycle-runs", borrower)

    depth = client.get("/v1/outbox", headers=sup).json()
    assert depth["counts"].get("pending", 0) == run["result"]["enqueued"]
    page = client.get("/v1/outbox/messages", params={"state": "pending", "limit": 2},
                      headers=sup).json()
    assert len(page["messages"]) == 2 and page["next_cursor"]
    msg = page["messages"][0]
    assert "body" not in msg and "body_ct" not in msg
    mid = msg["message_id"]
    shown = client.get(f"/v1/outbox/messages/{mid}", headers=sup)
    etag = shown.headers["etag"]
    _guarded(client, "GET", "/v1/outbox", collector)
    _guarded(client, "GET", "/v1/outbox/messages", borrower)
    _guarded(client, "GET", f"/v1/outbox/messages/{mid}", collector)
    _guarded(client, "POST", f"/v1/outbox/messages/{mid}/cancel", _key(app, "auditor"))
    _refused(client.post(f"/v1/outbox/messages/{mid}/cancel",
                         headers={**sup, "If-Match": '"old"'}), 412)
    done = client.post(f"/v1/outbox/messages/{mid}/cancel", headers={**sup, "If-Match": etag},
                       json={"reason": "borrower_called"})
    assert done.status_code == 200 and done.json()["state"] == "cancelled"
    _refused(client.post(f"/v1/outbox/messages/{mid}/cancel", headers=sup), 409)
    _refused(client.get("/v1/outbox/messages/m-none", headers=sup), 404)

    comp = client.get("/v1/reports/compliance", headers=_key(app, "compliance"))
    assert comp.status_code == 200, comp.text
    assert comp.json()["attempts"] >= run["result"]["enqueued"]
    port = client.get("/v1/reports/portfolio", params={"as_of": "2026-03-01"},
                      headers=_key(app, "auditor"))
    assert port.status_code == 200, port.text
    assert port.json()["loans"] > 0 and port.json()["buckets"]
    _guarded(client, "GET", "/v1/reports/compliance", collector)
    _guarded(client, "GET", "/v1/reports/portfolio", borrower)
    # The same reports as the HTML pages `faircollect report` writes, with the same figures.
    page = client.get("/v1/reports/compliance.html", headers=_key(app, "compliance"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"{comp.json()['attempts']:,}" in page.text and "<script" not in page.text
    page = client.get("/v1/reports/portfolio.html", params={"as_of": "2026-03-01"},
                      headers=_key(app, "auditor"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text
    _guarded(client, "GET", "/v1/reports/compliance.html", collector)
    _guarded(client, "GET", "/v1/reports/portfolio.html", borrower)


def test_audit_log_proofs_and_bundle(client, app) -> None:  # type: ignore[no-untyped-def]
    aud, collector = _key(app, "auditor"), _key(app, "collector")
    cp = client.post("/v1/audit/checkpoints", headers=aud)
    assert cp.status_code == 201, cp.text
    size = cp.json()["tree_size"]
    assert size > 0 and cp.json()["checkpoint"].startswith(("faircollect", cp.json()[
        "checkpoint"].split("\n")[0]))
    proof = client.get("/v1/audit/entries/0/proof", headers=aud)
    assert proof.status_code == 200 and proof.json()["tree_size"] >= size
    cons = client.get("/v1/audit/consistency", params={"old": 1}, headers=aud)
    assert cons.status_code == 200 and cons.json()["old_size"] == 1
    ver = client.get("/v1/audit/verification", headers=_key(app, "compliance")).json()
    assert ver["ok"] is True and ver["size"] >= size
    key = client.get("/v1/audit/key", headers=aud).json()
    assert key["fingerprint"].startswith("SHA256:")
    bundle = client.get("/v1/audit/bundle", params={"from": 0, "to": 4}, headers=aud)
    assert bundle.status_code == 200 and len(bundle.json()["entries"]) == 5
    _refused(client.get("/v1/audit/entries/99999999/proof", headers=aud), 404)
    _refused(client.get("/v1/audit/bundle", params={"from": 5, "to": 1}, headers=aud), 422)
    for method, path in (("POST", "/v1/audit/checkpoints"), ("GET", "/v1/audit/key"),
                         ("GET", "/v1/audit/entries/0/proof"),
                         ("GET", "/v1/audit/consistency?old=1"),
                         ("GET", "/v1/audit/verification"), ("GET", "/v1/audit/bundle")):
        _guarded(client, method, path, collector)
        _refused(client.request(method, path, headers=_key(app, "supervisor")), 403)


def test_policy_packs_rules_replay_and_playbooks(client, app) -> None:  # type: ignore[no-untyped-def]
    coll, borrower = _key(app, "collector"), _key(app, "borrower")
    packs = client.get("/v1/policy/packs", headers=coll).json()["packs"]
    assert {p["jurisdiction"] for p in packs} >= {"CN", "US", "UK"}
    rule = client.get("/v1/policy/rules/US-7IN7", headers=coll)
    assert rule.status_code == 200 and rule.json()["citation"]
    _refused(client.get("/v1/policy/rules/NOPE-1", headers=coll), 404)
    _guarded(client, "GET", "/v1/policy/packs", borrower)
    _guarded(client, "GET", "/v1/policy/rules/US-7IN7", borrower)
    assert client.post("/v1/cycle-runs", json={"business_date": DAY},
                       headers=_key(app, "admin")).status_code == 201
    body = {"pack": "US", "from": DAY, "to": DAY}
    rep = client.post("/v1/policy/replays", json=body, headers=_key(app, "compliance"))
    assert rep.status_code == 200, rep.text
    assert rep.json()["considered"] > 0
    _guarded(client, "POST", "/v1/policy/replays", coll, json=body)
    _refused(client.post("/v1/policy/replays", json={**body, "pack": "../etc/x.yaml"},
                         headers=_key(app, "compliance")), 422)

    books = client.get("/v1/playbooks", headers=coll).json()
    assert books["usable"] is True and books["playbooks"]
    _guarded(client, "GET", "/v1/playbooks", borrower)
    book = shipped_playbooks()[0]
    from importlib import resources
    text = resources.files("faircollect.strategy").joinpath("playbooks").joinpath(
        book.source).read_text("utf-8")
    ok = client.post("/v1/playbooks/validate", json={"yaml": text},
                     headers=_key(app, "compliance")).json()
    assert ok["valid"] is True and ok["playbook"]["id"] == book.id
    bad = client.post("/v1/playbooks/validate", json={"yaml": "id: nope"},
                      headers=_key(app, "compliance")).json()
    assert bad["valid"] is False and bad["problem"]
    _guarded(client, "POST", "/v1/playbooks/validate", coll, json={"yaml": text})
