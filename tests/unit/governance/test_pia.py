"""The PIA is generated from the data map: every risk answered, gaps named, not hidden."""

from __future__ import annotations

import copy
from importlib import resources

import yaml

from faircollect.governance.pia import assess, to_html
from faircollect.governance.pia_service import current_assessment

MAP = yaml.safe_load(resources.files("faircollect.governance").joinpath(
    "datamap.yaml").read_text("utf-8"))
RETENTION = {"collection_records": {"CN": {"years": 2, "citation": "c"}},
             "address_book_contacts": {"CN": {"years": 0, "citation": "h"}}}
PURPOSES = [{"id": "share", "title": "t", "legal_basis": "consent", "data_categories": ["phone"],
             "sensitive": True, "third_party": True}]


def test_shipped_map_answers_every_risk_and_covers_every_purpose() -> None:
    a = current_assessment()
    assert a["gaps"] == [] and a["law"] == "PIPL Art. 55-56"
    ids = {p["id"] for p in a["processing"]}
    assert {"collection", "locate", "contact_designated_contact", "marketing"} <= ids
    assert all(r["controls"] for r in a["risks"])
    cn = next(p for p in a["processing"] if p["id"] == "collection")["retention"]["CN"]
    assert cn["years"] == 2


def test_a_risk_without_control_and_an_undescribed_recipient_are_gaps() -> None:
    m = copy.deepcopy(MAP)
    m["risks"].append({"id": "new_risk", "description": "d", "controls": ["wishful"]})
    m["processing"][0]["recipients"].append("data_brokers")
    a = assess(m, PURPOSES, RETENTION, {})
    assert "risk new_risk: no control answers it" in a["gaps"]
    assert "risk new_risk: control wishful is not described" in a["gaps"]
    assert "processing collection: recipient data_brokers is not described" in a["gaps"]
    assert a["conclusion"].startswith("3 gap(s)")
    # A consented third-party purpose names the agencies and credit reference as recipients.
    share = next(p for p in a["processing"] if p["id"] == "share")
    assert share["recipients"] == ["internal_staff", "collection_agencies", "credit_reference"]
    assert "share" in a["sensitive"]


def test_html_shows_each_risk_with_its_controls() -> None:
    a = assess(MAP, PURPOSES, RETENTION, {})
    html = to_html(a, 1, "2026-01-01T00:00:00+00:00", "2029-01-01T00:00:00+00:00")
    for r in a["risks"]:
        assert r["id"] in html
    assert "kept until 2029-01-01" in html
