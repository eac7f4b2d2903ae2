"""`faircollect training|review|regulator|pia`: JSON out, bad input exit 2 naming the row,
maker-checker refusal exit 1, report files written."""

from __future__ import annotations

import csv
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from faircollect.cli import main


def _run(home: Path, *args: str, **env: str) -> tuple[int, str, str]:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    with pytest.MonkeyPatch.context() as mp:
        for name in ("FAIRCOLLECT_DATABASE_URL", "FAIRCOLLECT_ROLES", "FAIRCOLLECT_DEBUG"):
            mp.delenv(name, raising=False)
        mp.setenv("FAIRCOLLECT_HOME", str(home))
        mp.setenv("FAIRCOLLECT_ACTOR", env.pop("actor", "officer-1"))
        for k, v in env.items():
            mp.setenv(k, v)
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    return code, out.buffer.getvalue().decode(), err.buffer.getvalue().decode()  # type: ignore[attr-defined]


def test_governance_commands(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, out, err = _run(home, "training", "add-course", "--id", "cn-law", "--title", "PRC",
                          "--jurisdiction", "CN", "--validity-days", "365", "--pass-mark", "80")
    assert code == 0, err
    bad = tmp_path / "bad.csv"
    bad.write_text("course_id,person_id,person_kind,score,completed_on\n"
                   "cn-law,col-1,collector,eighty,2026-01-01\n", encoding="utf-8")
    code, _, err = _run(home, "training", "import", str(bad))
    assert code == 2 and "bad.csv:2 column score" in err
    good = tmp_path / "good.csv"
    with good.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["course_id", "person_id", "person_kind", "score", "completed_on"])
        w.writerow(["cn-law", "col-1", "collector", "90", "2026-01-01"])
    assert json.loads(_run(home, "training", "import", str(good))[1]) == {"imported": 1,
                                                                          "passed": 1}
    code, out, _ = _run(home, "training", "status", "col-2", "--jurisdiction", "CN", "--json")
    assert json.loads(out)["allowed"] is False
    # Playbooks name templates: the starter library goes through its own maker-checker first.
    assert _run(home, "templates", "add", "--from-library", actor="writer")[0] == 0
    assert _run(home, "templates", "submit", "--all", actor="writer")[0] == 0
    assert _run(home, "templates", "approve", "--all", actor="officer-1",
                FAIRCOLLECT_ROLES="compliance")[0] == 0
    override = tmp_path / "o.yaml"
    override.write_text(
        "id: acme-cn\npack: CN\nrules:\n  - id: ACME-CALL-HOURS\n    kind: contact_hours\n"
        "    category: HOURS\n    citation: Acme policy\n    summary: mornings\n"
        "    applies_to: {channels: [call]}\n    params: {start: '09:00', end: '10:00'}\n",
        encoding="utf-8")
    assert _run(home, "review", "add", str(override), "--kind", "override", actor="u-a")[0] == 0
    assert _run(home, "review", "submit", "acme-cn", "--kind", "override", actor="u-a")[0] == 0
    code, _, err = _run(home, "review", "approve", "acme-cn", "--kind", "override", actor="u-a",
                        FAIRCOLLECT_ROLES="legal")
    assert code == 1 and "maker-checker" in err
    code, out, err = _run(home, "review", "approve", "acme-cn", "--kind", "override",
                          actor="u-b", FAIRCOLLECT_ROLES="legal")
    assert code == 0 and json.loads(out)["state"] == "approved", err
    code, out, err = _run(home, "regulator", "report", "--jurisdiction", "CN", "--from",
                          "2026-01-01", "--to", "2026-01-31", "--out", str(tmp_path / "r"))
    assert code == 0, err
    got = json.loads(out)
    assert Path(got["pdf"]).read_bytes()[:5] == b"%PDF-"
    assert got["training"] == {"people": 1, "trained": 1, "untrained": 0}
    code, out, err = _run(home, "pia", "generate")
    assert code == 0 and json.loads(out)["version"] == 1, err
    code, out, _ = _run(home, "pia", "export", "--out", str(tmp_path / "p"))
    assert Path(json.loads(out)["html"]).read_text(encoding="utf-8").count("PIPL Art. 55-56")
