"""PIA versions: numbered when the assessment changes, kept three years, exported HTML/PDF."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from importlib import resources

from pypdf import PdfReader

from faircollect.bootstrap import build_app
from faircollect.governance.pia_service import PiaService


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_versions_retention_and_exports(settings) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(datetime(2026, 3, 1, 9, tzinfo=UTC))
    app = build_app(settings, clock=clock)
    try:
        svc = PiaService(app.store)
        v1 = svc.generate("dpo-1")
        assert v1.version == 1 and v1.keep_until == datetime(2029, 3, 1, 9, tzinfo=UTC)
        assert svc.generate("dpo-1").version == 1  # nothing changed: no new version
        text = resources.files("faircollect.governance").joinpath("datamap.yaml").read_text(
            "utf-8")
        clock.now = datetime(2027, 6, 1, tzinfo=UTC)
        v2 = svc.generate("dpo-1", text.replace('version: "2026.1"', 'version: "2027.1"'))
        assert v2.version == 2 and v2.content["datamap_version"] == "2027.1"
        assert svc.get(1).content["datamap_version"] == "2026.1"  # the old one is kept
        clock.now = datetime(2029, 2, 28, tzinfo=UTC)
        assert svc.prune("dpo-1") == 0  # three years not yet over
        clock.now = datetime(2029, 3, 2, tzinfo=UTC)
        assert svc.prune("dpo-1") == 1
        assert [v.version for v in svc.list()] == [2]
        html = v2.html()
        assert "PIPL Art. 55-56" in html and "version 2" in html.lower()
        pdf = PdfReader(io.BytesIO(v2.pdf()))
        body = " ".join(p.extract_text() for p in pdf.pages)
        assert "impact assessment" in body and "harassment" in body
    finally:
        app.store.dispose()
