"""Risk models over HTTP (SQLite and PostgreSQL): train, maker-checker approval, score with
reasons and consent gating, monitor; the wrong role and no credentials are refused."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from typing import Any

import polars as pl
import pytest
from api_calls import refused
from fastapi.testclient import TestClient

from faircollect.api.app import create_app
from faircollect.api.auth import issue_key


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(app.settings, rate_limit=0)) as c:
        yield c


def _key(app: Any, role: str, actor: str | None = None) -> dict[str, str]:
    key = issue_key(app.settings.home, actor_id=actor or f"t-{role}", role=role,
                    borrower_id="b-1" if role == "borrower" else None)
    return {"Authorization": f"Bearer {key}"}


def _rows(n: int | None = None) -> list[dict[str, Any]]:
    data = pl.read_csv(str(resources.files("faircollect.risk").joinpath("data/german_credit.csv")))
    keep = ["duration_in_month", "credit_amount", "credit_history",
            "status_of_existing_checking_account", "age_in_years", "personal_status_and_sex",
            "creditability"]
    rows = data.select(keep).to_dicts()
    return [{"values": r} for r in (rows[:n] if n else rows)]


def test_train_approve_score_monitor(client, app) -> None:  # type: ignore[no-untyped-def]
    maker = _key(app, "supervisor", actor="analyst")
    checker = _key(app, "compliance", actor="officer")
    body = {"kind": "application", "target": "creditability", "bad": "bad", "rows": _rows(),
            "folds": 3}
    refused(client.post("/v1/risk/models/g/train", json=body, headers=_key(app, "collector")), 403)
    refused(client.post("/v1/risk/models/g/train", json=body), 401)
    r = client.post("/v1/risk/models/g/train", json=body, headers=maker)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "pending" and r.json()["cv"]["auc"] > 0.7
    score = {"rows": [{"values": {"duration_in_month": 48, "credit_amount": 9000,
                                  "credit_history": "critical account/ other credits existing (not at this bank)",
                                  "status_of_existing_checking_account": "... < 0 DM",
                                  "age_in_years": 22,
                                  "personal_status_and_sex": "female : divorced/separated/married"},
                       "borrower_id": "app-1"}]}
    refused(client.post("/v1/risk/models/g/score", json=score, headers=maker), 409)
    refused(client.post("/v1/risk/models/g/versions/1/approve", headers=maker), 403)
    refused(client.post("/v1/risk/models/g/versions/1/approve",
                        headers=_key(app, "compliance", actor="analyst")), 403)
    ok = client.post("/v1/risk/models/g/versions/1/approve", headers=checker)
    assert ok.status_code == 200, ok.text and ok.json()["approved_by"] == "officer"
    r = client.post("/v1/risk/models/g/score", json=score, headers=_key(app, "collector"))
    assert r.status_code == 200, r.text
    item = r.json()["items"][0]
    assert item["borrower_id"] == "app-1" and 0 < item["pd"] < 1
    assert 1 <= len(item["reasons"]) <= 4 and item["reasons"][0]["zh-CN"]
    card = client.get("/v1/risk/models/g", headers=checker).json()
    assert card["card"]["data"]["rows"] == 1000 and card["table"]
    mon = client.post("/v1/risk/models/g/monitor",
                      json={"rows": _rows(), "target": "creditability", "bad": "bad"},
                      headers=checker)
    assert mon.status_code == 200, mon.text
    assert mon.json()["psi"]["band"] == "stable" and "sex" in mon.json()["fairness"]
    assert mon.json()["recorded"] is True  # an approved model's run, kept for the report
    older = [r for r in _rows() if r["values"]["age_in_years"] >= 45]
    mon = client.post("/v1/risk/models/g/monitor", headers=_key(app, "collector"),
                      json={"rows": older, "target": "creditability", "bad": "bad"})
    assert mon.status_code == 200 and mon.json()["recorded"] is False  # a collector's is not
    mon = client.post("/v1/risk/models/g/monitor", headers=checker,
                      json={"rows": older, "target": "creditability", "bad": "bad"})
    assert mon.json()["recorded"] is True
    report = client.get("/v1/reports/compliance", headers=checker,
                        params={"from": "2026-03-02", "to": "2026-03-02"})
    assert report.status_code == 200, report.text
    assert ("g", "csi:age_in_years", "shift") in {
        (a["model_id"], a["metric"], a["band"]) for a in report.json()["model_alerts"]}
    listed = client.get("/v1/risk/models", headers=checker).json()["items"]
    assert [(m["model_id"], m["state"]) for m in listed] == [("g", "approved")]
    refused(client.get("/v1/risk/models", headers=_key(app, "borrower")), 403)
    refused(client.get("/v1/risk/models/nope", headers=checker), 404)

    # the borrower asks a person to look again; staff decide, the borrower cannot
    ask = {"model_id": "g", "borrower_id": "b-1", "row": score["rows"][0]}
    refused(client.post("/v1/risk/reviews", json={**ask, "borrower_id": "b-7"},
                        headers=_key(app, "borrower")), 403)
    r = client.post("/v1/risk/reviews", json=ask, headers=_key(app, "borrower"))
    assert r.status_code == 201, r.text
    review = r.json()
    assert review["score"] == item["score"] and review["reasons"] == item["reasons"]
    queue = client.get("/v1/risk/reviews", headers=checker).json()["items"]
    assert [q["review_id"] for q in queue] == [review["review_id"]]
    decide = {"outcome": "upheld", "note": "the reasons hold on a second look"}
    refused(client.post(f"/v1/risk/reviews/{review['review_id']}/decide", json=decide,
                        headers=_key(app, "borrower")), 403)
    d = client.post(f"/v1/risk/reviews/{review['review_id']}/decide", json=decide,
                    headers=checker)
    assert d.status_code == 200 and d.json()["state"] == "upheld", d.text
    assert client.get("/v1/risk/reviews", headers=checker).json()["items"] == []


def test_harvested_feature_refused_over_http(client, app) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(100)
    for r in rows:
        r["values"]["address_book_overdue_contacts"] = 3
    r = client.post("/v1/risk/models/h/train", headers=_key(app, "supervisor"),
                    json={"kind": "application", "target": "creditability", "bad": "bad",
                          "rows": rows})
    refused(r, 422)
    assert "harvested address book" in r.json()["detail"] or "harvested" in r.text
