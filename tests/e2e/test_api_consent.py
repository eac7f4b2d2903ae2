"""Consent over HTTP: authenticated, self-only for borrowers, as easy to withdraw as to grant."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from _privacy_seed import seed  # noqa: E402
from live_server import live_client

from faircollect.api.app import create_app  # noqa: E402
from faircollect.api.auth import issue_key  # noqa: E402

NOTICE = "We will call the person you name only to ask you to call us back. You can withdraw."


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    seed(app)
    with live_client(create_app(app.settings)) as c:
        yield c


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_borrower_grants_and_withdraws_own_consent(client, app) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(app.settings.home, actor_id="portal:b-2", role="borrower", borrower_id="b-2")
    body = {
        "borrower_id": "b-2",
        "purpose": "electronic_communications",
        "notice_text": NOTICE,
        "policy_version": "privacy-2026.1",
    }
    granted = client.post("/v1/consents", json=body, headers=_auth(key))
    assert granted.status_code == 201, granted.text
    consent_id = granted.json()["consent_id"]
    assert granted.json()["receipt"]
    listed = client.get("/v1/borrowers/b-2/consents", headers=_auth(key)).json()["consents"]
    assert any(
        c["purpose"] == "electronic_communications" and c["withdrawn_at"] is None for c in listed
    )
    withdrawn = client.post(f"/v1/consents/{consent_id}/withdraw", headers=_auth(key))
    assert withdrawn.status_code == 200, withdrawn.text
    again = client.post(f"/v1/consents/{consent_id}/withdraw", headers=_auth(key))
    assert again.status_code == 409
    listed = client.get("/v1/borrowers/b-2/consents", headers=_auth(key)).json()["consents"]
    assert all(
        c["withdrawn_at"] is not None for c in listed if c["purpose"] == "electronic_communications"
    )


def test_no_key_unknown_key_and_other_borrowers_are_refused(client, app) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(app.settings.home, actor_id="portal:b-2", role="borrower", borrower_id="b-2")
    body = {
        "borrower_id": "b-1",
        "purpose": "marketing",
        "notice_text": NOTICE,
        "policy_version": "p1",
    }
    assert client.post("/v1/consents", json=body).status_code == 401
    assert client.post("/v1/consents", json=body, headers=_auth("fc_nope")).status_code == 401
    assert client.post("/v1/consents", json=body, headers=_auth(key)).status_code == 403
    assert client.get("/v1/borrowers/b-1/consents", headers=_auth(key)).status_code == 403
    staff = issue_key(app.settings.home, actor_id="staff:7", role="collector")
    assert client.get("/v1/borrowers/b-1/consents", headers=_auth(staff)).status_code == 403


def test_bad_input_is_422_and_unknown_purpose_changes_nothing(client, app) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(app.settings.home, actor_id="portal:b-2", role="borrower", borrower_id="b-2")
    before = client.get("/v1/borrowers/b-2/consents", headers=_auth(key)).json()["consents"]
    bad = {
        "borrower_id": "b-2",
        "purpose": "selling_data",
        "notice_text": NOTICE,
        "policy_version": "p1",
    }
    response = client.post("/v1/consents", json=bad, headers=_auth(key))
    assert response.status_code == 422 and "selling_data" in response.text
    extra = {**bad, "purpose": "marketing", "surprise": 1}
    assert client.post("/v1/consents", json=extra, headers=_auth(key)).status_code == 422
    assert client.get("/v1/borrowers/b-2/consents", headers=_auth(key)).json()["consents"] == before
    assert client.post("/v1/consents/k-missing/withdraw", headers=_auth(key)).status_code == 404


def test_api_keys_are_stored_hashed_and_private(app) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(app.settings.home, actor_id="staff:1", role="compliance")
    stored = (app.settings.home / "api-keys.json").read_text()
    assert key not in stored
    assert (app.settings.home / "api-keys.json").stat().st_mode & 0o077 == 0


def test_an_imported_consent_is_withdrawn_by_the_listed_id(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from faircollect.portfolio.generator import generate_portfolio
    from faircollect.portfolio.importer import import_portfolio

    generate_portfolio(tmp_path / "p", borrowers=20, seed=3, as_of=date(2026, 3, 1))
    import_portfolio(app, tmp_path / "p", actor="test")
    staff = issue_key(app.settings.home, actor_id="staff:1", role="compliance")
    with live_client(create_app(app.settings)) as client:
        for n in range(1, 21):
            borrower = f"b-{n:07d}"
            listed = client.get(f"/v1/borrowers/{borrower}/consents", headers=_auth(staff))
            assert listed.status_code == 200, listed.text
            open_ = [c for c in listed.json()["consents"] if c["withdrawn_at"] is None]
            assert all(c["consent_id"] for c in listed.json()["consents"])
            if open_:
                break
        consent_id = open_[0]["consent_id"]
        key = issue_key(app.settings.home, actor_id=f"portal:{borrower}", role="borrower",
                        borrower_id=borrower)
        done = client.post(f"/v1/consents/{consent_id}/withdraw", headers=_auth(key))
        assert done.status_code == 200, done.text
        after = client.get(f"/v1/borrowers/{borrower}/consents", headers=_auth(key)).json()
        assert all(c["withdrawn_at"] for c in after["consents"] if c["consent_id"] == consent_id)
