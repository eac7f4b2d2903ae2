"""Keeps the latest monitoring run of each approved model and lists its alerts.

`record` stores a monitoring report (from `risk.monitoring.monitor`) of an approved model
version in place of the model's previous run, in one transaction with its audit entry; a
run of a pending, rejected or retired version is not kept (it is a validation, not
monitoring of a model in use). `latest_alerts` gives the compliance report one row per
alert of the models whose monitored version is still the approved one.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from faircollect.risk.registry import ModelVersion
from faircollect.store.tables.risk import risk_models, risk_monitoring
from faircollect.store.unit_of_work import Store


def record(store: Store, actor_id: str, model: ModelVersion, report: dict[str, Any]) -> bool:
    """Keep `report` as `model`'s latest run when the version is approved; True if kept."""
    if model.state != "approved":
        return False
    rows = list(report.get("alert_rows", []))
    with store.transaction(actor_id) as uow:
        uow.conn.execute(delete(risk_monitoring).where(
            risk_monitoring.c.model_id == model.model_id))
        uow.conn.execute(insert(risk_monitoring).values(
            model_id=model.model_id, version=model.version, run_at=store.clock(),
            run_by=actor_id, rows=int(report.get("rows", 0)),
            alerts=json.dumps(rows, sort_keys=True), report=json.dumps(report, sort_keys=True)))
        uow.audit("risk_model.monitored", f"risk_model:{model.model_id}:v{model.version}",
                  {"rows": int(report.get("rows", 0)), "alerts": len(rows),
                   "metrics": sorted({r["metric"] for r in rows})})
    return True


def latest_alerts(conn: Connection) -> list[dict[str, Any]]:
    """Alerts of each approved model's latest run: model, version, run time, metric, value,
    band and the sentence, by model id then in the order the run raised them."""
    found = conn.execute(
        select(risk_monitoring.c.model_id, risk_monitoring.c.version, risk_monitoring.c.run_at,
               risk_monitoring.c.alerts)
        .join(risk_models, (risk_models.c.model_id == risk_monitoring.c.model_id)
              & (risk_models.c.version == risk_monitoring.c.version))
        .where(risk_models.c.state == "approved")
        .order_by(risk_monitoring.c.model_id)).all()
    out: list[dict[str, Any]] = []
    for model_id, version, run_at, alerts in found:
        when = run_at.isoformat() if isinstance(run_at, datetime) else str(run_at)
        for a in json.loads(alerts):
            out.append({"model_id": model_id, "version": int(version), "run_at": when,
                        "metric": a["metric"], "value": a["value"], "band": a["band"],
                        "message": a["message"]})
    return out
