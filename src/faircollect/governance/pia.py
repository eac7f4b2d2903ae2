"""The personal-information impact assessment (PIPL Art. 55-56), generated from the data map.

Pure: `assess` takes the data map, the consent purposes catalogue, the retention policy and
the access policy (as plain data) and returns the assessment as JSON-ready data with the
three things Art. 56 asks: whether each processing is lawful, justified and necessary (its
purpose and legal basis); its impact and risks; and whether the protection measures answer
them. A risk no control answers, or a control or recipient the map names without defining,
is listed under `gaps` rather than hidden. Rendering to HTML is pure too; PDF goes through
WeasyPrint like the regulator report.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

KEEP_YEARS = 3  # PIPL Art. 56: the report and the processing record are kept 3 years


def assess(datamap: dict[str, Any], purposes: list[dict[str, Any]],
           retention: dict[str, dict[str, dict[str, Any]]],
           access_roles: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The assessment (see the module docstring); deterministic for the same inputs."""
    recipients: dict[str, str] = datamap.get("recipients", {})
    controls: dict[str, str] = datamap.get("controls", {})
    gaps: list[str] = []
    rows = []
    for p in datamap.get("processing", []):
        rows.append({**_row(p, retention), "source": "data map"})
    for p in purposes:
        named = ["internal_staff"] + (["collection_agencies", "credit_reference"]
                                      if p.get("third_party") else [])
        rows.append({**_row({**p, "recipients": named, "retention": "collection_records"},
                            retention), "source": "purposes catalogue (consent)"})
    for r in rows:
        for who in r["recipients"]:
            if who not in recipients:
                gaps.append(f"processing {r['id']}: recipient {who} is not described")
    risks = []
    for risk in datamap.get("risks", []):
        answered = [c for c in risk.get("controls", []) if c in controls]
        for c in risk.get("controls", []):
            if c not in controls:
                gaps.append(f"risk {risk['id']}: control {c} is not described")
        if not answered:
            gaps.append(f"risk {risk['id']}: no control answers it")
        risks.append({"id": risk["id"], "description": risk["description"],
                      "controls": [{"id": c, "description": controls[c]} for c in answered]})
    used = {c for r in datamap.get("risks", []) for c in r.get("controls", [])}
    unused = sorted(set(controls) - used)
    return {
        "law": "PIPL Art. 55-56",
        "datamap_version": datamap.get("version"),
        "processing": rows,
        "sensitive": sorted(r["id"] for r in rows if r["sensitive"]),
        "recipients": dict(sorted(recipients.items())),
        "internal_access": {role: {"scope": v.get("scope"), "purposes": list(v.get("purposes", ())),
                                   "full": list(v.get("full", {}).get("fields", ()))}
                            for role, v in sorted(access_roles.items())},
        "controls": dict(sorted(controls.items())),
        "risks": risks,
        "controls_answering_no_listed_risk": unused,
        "gaps": gaps,
        "conclusion": ("every listed risk is answered by at least one control in place"
                       if not gaps else f"{len(gaps)} gap(s) to close before relying on this "
                       "assessment"),
    }


def _row(p: dict[str, Any], retention: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    kind = p.get("retention", "collection_records")
    periods = retention.get(kind, {})
    return {
        "id": p["id"], "title": p["title"], "legal_basis": p["legal_basis"],
        "data_categories": list(p.get("data_categories", [])),
        "sensitive": bool(p.get("sensitive")),
        "recipients": list(p.get("recipients", [])),
        "retention": {j: {"years": v["years"], "citation": v["citation"]}
                      for j, v in sorted(periods.items())},
    }


def to_html(content: dict[str, Any], version: int, generated_at: str, keep_until: str) -> str:
    """The assessment as one HTML page."""
    env = Environment(loader=PackageLoader("faircollect.governance", "templates"),
                      autoescape=select_autoescape(["html"]))
    return env.get_template("pia.html").render(a=content, version=version,
                                               generated_at=generated_at, keep_until=keep_until)
