"""The regulator report as values, and its CSV and HTML forms (pure).

Figures for one jurisdiction and period: complaints by who and why, contact-person attempts
allowed by purpose, holds started (disputes, hardship pauses), denials by rule, training
coverage at the period's end, and the audit log's signed checkpoint for the period's last
date so the regulator can check every figure against the log. Counts and rule ids only.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


@dataclass(frozen=True)
class RegulatorReport:
    """Everything the regulator report states."""

    jurisdiction: str
    start: date
    end: date
    complaints: dict[str, int]  # "complainant/category" -> count
    contact_persons: dict[str, int]  # purpose -> allowed attempts to a contact person
    holds: dict[str, int]  # dispute_open, hardship_pause -> started in the period
    denials_by_rule: dict[str, int]
    training: dict[str, int]  # people, trained, untrained
    checkpoint: str  # the signed note of the audit tree at the end of the period
    checkpoint_size: int
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, int]]:
        """(section, item, count) rows: what the CSV holds and the PDF tables show."""
        out: list[tuple[str, str, int]] = []
        for section, values in (("complaints", self.complaints),
                                ("contact_persons", self.contact_persons),
                                ("holds", self.holds), ("denials_by_rule", self.denials_by_rule),
                                ("training", self.training)):
            out += [(section, k, v) for k, v in sorted(values.items())]
        return out


def to_csv(report: RegulatorReport) -> str:
    """The report as CSV: a header block (jurisdiction, period, checkpoint) then rows."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "item", "count"])
    w.writerow(["report", "jurisdiction", report.jurisdiction])
    w.writerow(["report", "from", report.start.isoformat()])
    w.writerow(["report", "to", report.end.isoformat()])
    w.writerow(["report", "audit_checkpoint_size", report.checkpoint_size])
    for row in report.rows():
        w.writerow(row)
    w.writerow(["report", "audit_checkpoint", report.checkpoint])
    return buf.getvalue()


def to_html(report: RegulatorReport) -> str:
    """The report as one HTML page (what the PDF is printed from)."""
    env = Environment(loader=PackageLoader("faircollect.governance", "templates"),
                      autoescape=select_autoescape(["html"]))
    sections: dict[str, list[tuple[str, int]]] = {}
    for section, item, count in report.rows():
        sections.setdefault(section, []).append((item, count))
    return env.get_template("regulator.html").render(r=report, sections=sections)


def to_pdf(html: str) -> bytes:
    """Print HTML to PDF with WeasyPrint (needs Debian's pango libraries)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def as_json(report: RegulatorReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {"jurisdiction": report.jurisdiction, "from": report.start.isoformat(),
            "to": report.end.isoformat(), "complaints": report.complaints,
            "contact_persons": report.contact_persons, "holds": report.holds,
            "denials_by_rule": report.denials_by_rule, "training": report.training,
            "audit_checkpoint": report.checkpoint,
            "audit_checkpoint_size": report.checkpoint_size}
