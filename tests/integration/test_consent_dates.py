"""Consent dates within reason, through the service, the CLI and the API.

A withdrawal may not be dated in the future beyond the clock-skew allowance; an expiry may not
exceed the purpose's maximum duration; an instant whose offset pushes it past year 1 or 9999
is bad input naming the field, never an OverflowError.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _privacy_seed import seed  # noqa: E402

from faircollect.api.app import create_app  # noqa: E402
from faircollect.api.auth import issue_key  # noqa: E402
from faircollect.consent.catalogue import load_catalogue  # noqa: E402
from faircollect.consent.ledger import WITHDRAWAL_CLOCK_SKEW, ConsentLedger  # noqa: E402
from faircollect.errors import InputError  # noqa: E402

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
NOTICE = "We send reminders by SMS and e-mail. You can withdraw at any time."
PURPOSE = "electronic_communications"


@pytest.fixture
def ledger(app):  # type: ignore[no-untyped-def]
    seed(app)
    app.store.clock = lambda: NOW
    return ConsentLedger(app.store, app.keys)


def _grant(ledger: ConsentLedger, **kw):  # type: ignore[no-untyped-def]
    return ledger.grant(actor="test", borrower_id="b-2", purpose=PURPOSE, notice_text=NOTICE,
                        policy_version="pp-1", channel="app", **kw)


def test_a_withdrawal_beyond_the_skew_allowance_is_refused(ledger) -> None:  # type: ignore[no-untyped-def]
    consent = _grant(ledger)
    with pytest.raises(InputError) as err:
        ledger.withdraw(actor="test", consent_id=consent.consent_id, channel="app",
                        at=NOW + WITHDRAWAL_CLOCK_SKEW + timedelta(seconds=1))
    assert err.value.fields["field"] == "at"
    # At the allowance's edge it is accepted.
    ledger.withdraw(actor="test", consent_id=consent.consent_id, channel="app",
                    at=NOW + WITHDRAWAL_CLOCK_SKEW)


def test_an_expiry_past_the_purposes_maximum_is_refused(ledger) -> None:  # type: ignore[no-untyped-def]
    maximum = load_catalogue().purpose(PURPOSE).max_duration
    with pytest.raises(InputError) as err:
        _grant(ledger, granted_at=NOW, expires_at=NOW + maximum + timedelta(seconds=1))
    assert err.value.fields["field"] == "expires_at" and PURPOSE in err.value.message
    assert _grant(ledger, granted_at=NOW, expires_at=NOW + maximum).consent_id


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_instants_past_the_calendar_are_bad_input_on_every_face(
    app, monkeypatch, capsys, instant: str  # type: ignore[no-untyped-def]
) -> None:
    seed(app)
    monkeypatch.setenv("FAIRCOLLECT_HOME", str(app.settings.home))
    monkeypatch.setenv("FAIRCOLLECT_DATABASE_URL", app.settings.database_url.value)
    from faircollect.cli import main

    # The CLI: policy check reads the instant from the request.
    request = {"jurisdiction": "US", "at": instant,
               "attempt": {"channel": "call", "audience": "borrower", "purpose": "collection"},
               "borrower": {"timezone": "America/New_York", "days_past_due": 12}}
    path = app.settings.home / "req.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    code = main(["policy", "check", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and re.search(r"\bat\b", err), err
    # The API: a decision request and a consent withdrawal dated there answer 422.
    key = issue_key(app.settings.home, actor_id="portal:b-2", role="borrower", borrower_id="b-2")
    staff = issue_key(app.settings.home, actor_id="svc:dialer", role="compliance",
                      scopes=("decide",))
    with TestClient(create_app(app.settings)) as client:
        auth = {"Authorization": f"Bearer {key}"}
        body = {"borrower_id": "b-2", "purpose": PURPOSE, "notice_text": NOTICE,
                "policy_version": "pp-1"}
        granted = client.post("/v1/consents", json=body, headers=auth)
        assert granted.status_code == 201, granted.text
        cid = granted.json()["consent_id"]
        answer = client.post(f"/v1/consents/{cid}/withdraw", json={"at": instant}, headers=auth)
        assert answer.status_code == 422, answer.text
        assert "at" in answer.text
        answer = client.post("/v1/consents", json={**body, "expires_at": instant}, headers=auth)
        assert answer.status_code == 422 and "expires_at" in answer.text, answer.text
        answer = client.post("/v1/policy/decisions", json=request,
                             headers={"Authorization": f"Bearer {staff}"})
        assert answer.status_code in (400, 422) and "at" in answer.text, answer.text


def test_the_date_rules_hold_through_the_cli_and_the_api(app) -> None:  # type: ignore[no-untyped-def]
    """A withdrawal dated past the skew allowance and an expiry past the purpose's maximum
    are refused by `faircollect consent` and by the API alike, naming the field."""
    import os
    import subprocess

    seed(app)
    env = {**os.environ, "FAIRCOLLECT_HOME": str(app.settings.home),
           "FAIRCOLLECT_DATABASE_URL": app.settings.database_url.value,
           "FAIRCOLLECT_ACTOR": "officer", "FAIRCOLLECT_ROLES": "compliance"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "faircollect", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    now = datetime.now(UTC)
    maximum = load_catalogue().purpose(PURPOSE).max_duration
    too_late = (now + maximum + timedelta(days=2)).isoformat()
    future = (now + WITHDRAWAL_CLOCK_SKEW + timedelta(hours=1)).isoformat()
    notice = app.settings.home / "notice.txt"
    notice.write_text(NOTICE, encoding="utf-8")
    grant = ["consent", "grant", "b-2", PURPOSE, "--notice", str(notice),
             "--policy-version", "pp-1", "--json"]
    refused = cli(*grant, "--expires", too_late)
    assert refused.returncode == 2 and "expires_at" in refused.stderr, refused.stderr
    granted = cli(*grant)
    assert granted.returncode == 0, granted.stderr
    cid = json.loads(granted.stdout)["consent_id"]
    refused = cli("consent", "withdraw", cid, "--at", future)
    assert refused.returncode == 2 and "at" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    key = issue_key(app.settings.home, actor_id="portal:b-2", role="borrower", borrower_id="b-2")
    with TestClient(create_app(app.settings, rate_limit=0)) as client:
        auth = {"Authorization": f"Bearer {key}"}
        body = {"borrower_id": "b-2", "purpose": PURPOSE, "notice_text": NOTICE,
                "policy_version": "pp-1"}
        r = client.post("/v1/consents", json={**body, "expires_at": too_late}, headers=auth)
        assert r.status_code == 422 and "expires_at" in r.text, r.text
        r = client.post(f"/v1/consents/{cid}/withdraw", json={"at": future}, headers=auth)
        assert r.status_code == 422 and '"field":"at"' in r.text, r.text
        r = client.post(f"/v1/consents/{cid}/withdraw", json={}, headers=auth)
        assert r.status_code == 200, r.text  # now is fine
