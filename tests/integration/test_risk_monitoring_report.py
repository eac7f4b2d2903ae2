"""Monitoring alerts reach the compliance report (SQLite and PostgreSQL): the latest run of an
approved model is kept; a drifted sample's alerts are rows with model, metric, value and
band in the report's JSON and HTML; a stable run replaces them; a pending model's run is not
kept."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select

from faircollect.content.template import Actor
from faircollect.reports.compliance import build_report, report_dict, write_report
from faircollect.risk import registry
from faircollect.risk.monitoring import monitor
from faircollect.risk.monitoring_service import record
from faircollect.risk.scorecard import target_vector
from faircollect.risk.training import prepare, train
from faircollect.store.tables.audit import audit_entries

AUTHOR = Actor("analyst-1", frozenset())
OFFICER = Actor("officer-1", frozenset({"compliance"}))
DATA = str(resources.files("faircollect.risk").joinpath("data/german_credit.csv"))
DAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def trained():  # type: ignore[no-untyped-def]
    return train(prepare(pl.read_csv(DATA), "creditability", "bad"), "application", folds=3,
                 source="german")


def _run(m: registry.ModelVersion, frame: pl.DataFrame) -> dict:  # type: ignore[type-arg]
    y = target_vector(frame, "creditability", "bad")
    return monitor(m.scorecard, m.card, frame, y)


def _report(app):  # type: ignore[no-untyped-def]
    with app.store.read() as conn:
        return build_report(conn, DAY, DAY)


def test_drifted_sample_alerts_in_the_compliance_report(app, trained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    registry.register(app.store, AUTHOR, "german", trained)
    pending = registry.get(app.store, "german", 1)
    older = pl.read_csv(DATA).filter(pl.col("age_in_years") >= 45)
    assert record(app.store, "analyst-1", pending, _run(pending, older)) is False
    assert _report(app).model_alerts == []

    m = registry.approve(app.store, OFFICER, "german", 1)
    rep = _run(m, older)
    assert record(app.store, "analyst-1", m, rep) is True
    rows = report_dict(_report(app))["model_alerts"]
    age = [r for r in rows if r["metric"] == "csi:age_in_years"]
    assert len(age) == 1, rows
    assert (age[0]["model_id"], age[0]["version"], age[0]["band"]) == ("german", 1, "shift")
    assert age[0]["value"] == rep["csi"]["age_in_years"]["value"] >= 0.25
    # every alert sentence of the run is a row, and nothing else is
    assert [r["message"] for r in rows] == rep["alerts"]
    html = write_report(_report(app), tmp_path / "r.html").read_text("utf-8")
    section = html.split("Risk model monitoring alerts", 1)[1].split("<h2>", 1)[0]
    assert "<td>german</td>" in section and "<td>csi:age_in_years</td>" in section
    assert f"<td>{age[0]['value']}</td><td>shift</td>" in section

    # the whole portfolio again: stable, so the latest run replaces the alerts
    whole = pl.read_csv(DATA)
    assert record(app.store, "officer-1", m, _run(m, whole)) is True
    rows = _report(app).model_alerts
    assert not [r for r in rows if r["metric"].startswith(("psi", "csi"))], rows
    with app.store.read() as conn:
        runs = conn.execute(select(audit_entries.c.actor).where(
            audit_entries.c.action == "risk_model.monitored")).scalars().all()
    assert runs == ["analyst-1", "officer-1"]


def test_calibration_and_fairness_alerts_are_rows(app, trained) -> None:  # type: ignore[no-untyped-def]
    registry.register(app.store, AUTHOR, "german", trained)
    m = registry.approve(app.store, OFFICER, "german", 1)
    frame = pl.read_csv(DATA)
    # Every outcome flipped: goods rank as bads (AUC far below training) and each score
    # band's observed bad rate is far from the predicted one.
    flipped = 1 - target_vector(frame, "creditability", "bad")
    rep = monitor(m.scorecard, m.card, frame, flipped)
    assert record(app.store, "officer-1", m, rep)
    rows = _report(app).model_alerts
    kinds = {r["metric"].split(":")[0] for r in rows}
    assert {"calibration", "auc"} <= kinds, rows
    for r in rows:
        assert set(r) == {"model_id", "version", "run_at", "metric", "value", "band", "message"}
    cal = [r for r in rows if r["metric"].startswith("calibration:")]
    bands = {b["band"]: b for b in rep["calibration"]}
    for r in cal:
        b = bands[r["metric"].split(":", 1)[1]]
        assert r["value"] == round(b["observed_bad_rate"] - b["predicted_bad_rate"], 4)
        assert abs(r["value"]) > 0.10 and b["accounts"] >= 30
