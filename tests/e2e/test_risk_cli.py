"""`faircollect risk` end to end on German credit: train, approve, score, explain, monitor."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from importlib import resources
from pathlib import Path

import polars as pl
import pytest

from faircollect.cli import main

DATA = str(resources.files("faircollect.risk").joinpath("data/german_credit.csv"))


class Cli:
    def __init__(self, home: Path, mp: pytest.MonkeyPatch) -> None:
        mp.setenv("FAIRCOLLECT_HOME", str(home))
        for name in ("FAIRCOLLECT_DATABASE_URL", "FAIRCOLLECT_ROLES"):
            mp.delenv(name, raising=False)
        self.mp = mp

    def __call__(self, *args: str, actor: str = "analyst", roles: str = "") -> tuple[int, str, str]:
        self.mp.setenv("FAIRCOLLECT_ACTOR", actor)
        self.mp.setenv("FAIRCOLLECT_ROLES", roles)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
        return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    return Cli(home, monkeypatch)


def test_train_approve_score_explain_monitor(cli: Cli, tmp_path: Path) -> None:
    out_dir = tmp_path / "card"
    code, out, err = cli("risk", "train", "--json", "--kind", "application", "--data", DATA, "--target",
                         "creditability", "--bad", "bad", "--id", "german", "--out", str(out_dir))
    assert code == 0, err
    trained = json.loads(out)
    assert trained["state"] == "pending" and trained["version"] == 1
    assert (out_dir / "scorecard.csv").read_text().startswith("characteristic,bin,")
    assert "<table>" in (out_dir / "scorecard.html").read_text()
    # a pending model does not score; its author may not approve it
    code, _, err = cli("risk", "score", "--json", "--model", "german", "--data", DATA)
    assert code == 2 and "only an approved model scores" in err
    code, _, err = cli("risk", "approve", "--json", "german", "1", roles="compliance")
    assert code != 0 and "maker-checker" in err
    code, out, err = cli("risk", "approve", "--json", "german", "1", actor="officer", roles="compliance")
    assert code == 0 and json.loads(out)["approved_by"] == "officer", err

    code, out, err = cli("risk", "score", "--json", "--model", "german", "--data", DATA)
    assert code == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert len(lines) == 1000 and lines[0]["row"] == 1
    worst = min(lines, key=lambda r: r["score"])
    assert 0 < worst["pd"] < 1

    code, out, err = cli("risk", "explain", "--json", str(worst["row"]), "--model", "german", "--data", DATA)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["score"] == worst["score"]
    assert 1 <= len(doc["reasons"]) <= 4
    lost = [r["points_lost"] for r in doc["reasons"]]
    assert lost == sorted(lost, reverse=True) and all(x > 0 for x in lost)
    assert all(r["en"] and r["zh-CN"] for r in doc["reasons"])
    code, _, err = cli("risk", "explain", "--json", "5000", "--model", "german", "--data", DATA)
    assert code == 2 and "no row 5000" in err

    # the training data itself: no drift; fairness by age band and sex reported
    code, out, err = cli("risk", "monitor", "--json", "--model", "german", "--data", DATA, "--target",
                         "creditability", "--bad", "bad")
    assert code == 0, err
    rep = json.loads(out)
    assert rep["psi"]["value"] < 0.01 and rep["psi"]["band"] == "stable"
    assert all(v["value"] < 0.01 for v in rep["csi"].values())
    assert rep["auc"] > 0.8 and set(rep["fairness"]) == {"age_band", "sex"}
    assert len(rep["calibration"]) == 5
    # older applicants only: the age characteristic drifts and the alert says so
    old = tmp_path / "old.csv"
    pl.read_csv(DATA).filter(pl.col("age_in_years") >= 45).write_csv(old)
    code, out, _ = cli("risk", "monitor", "--json", "--model", "german", "--data", str(old))
    rep = json.loads(out)
    assert rep["csi"]["age_in_years"]["band"] == "shift"
    assert any("age_in_years" in a for a in rep["alerts"])

    # a person reviews the worst decision on request; the requester may not decide it
    code, out, err = cli("risk", "review-request", str(worst["row"]), "--model", "german",
                         "--data", DATA, "--json", actor="portal")
    assert code == 0, err
    review = json.loads(out)
    assert review["score"] == worst["score"] and review["state"] == "requested"
    code, out, _ = cli("risk", "reviews", "--json")
    assert [json.loads(x)["review_id"] for x in out.splitlines()] == [review["review_id"]]
    code, _, err = cli("risk", "review-decide", review["review_id"], "--outcome", "upheld",
                       "--note", "ok", actor="portal", roles="compliance")
    assert code != 0 and "may not decide" in err
    code, out, err = cli("risk", "review-decide", review["review_id"], "--outcome", "overturned",
                         "--note", "guarantor documents", "--json", actor="officer",
                         roles="compliance")
    assert code == 0 and json.loads(out)["state"] == "overturned", err

    code, out, _ = cli("risk", "models", "--json")
    assert [json.loads(x)["state"] for x in out.splitlines()] == ["approved"]


def test_harvested_feature_is_refused_at_training(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "harvested.csv"
    pl.read_csv(DATA).with_columns(pl.lit(120).alias("address_book_size")).write_csv(bad)
    code, _, err = cli("risk", "train", "--json", "--kind", "application", "--data", str(bad),
                       "--target", "creditability", "--bad", "bad")
    assert code == 2 and "harvested address book" in err


def test_dataset_from_the_ledger_feeds_training(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "pf"
    assert cli("generate", str(folder), "--borrowers", "120", "--as-of", "2026-03-01")[0] == 0
    assert cli("import", str(folder))[0] == 0
    out = tmp_path / "collection.csv"
    code, text, err = cli("risk", "dataset", "--as-of", "2026-01-20", "--out", str(out), "--json")
    assert code == 0, err
    summary = json.loads(text)
    rows = pl.read_csv(out)
    assert summary["rows"] == rows.height > 0 and summary["rolled"] == rows["rolled"].sum()
    assert {"borrower_id", "dpd", "max_dpd_90d", "promises_broken", "rolled"} <= set(rows.columns)
    assert (rows["dpd"] > 0).all()
    code, _, err = cli("risk", "dataset", "--as-of", "2026-02-20", "--out", str(out))
    assert code == 2 and "outcome is not known yet" in err
