"""`--json` on every command that prints data: one object for a record or summary, JSON Lines
for a list, with the facts the text view shows and never a borrower's personal data.

One small portfolio is generated, imported and run through two cycle days once per module;
each test then asks its commands for JSON and checks what it says against what it did.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import faircollect.cli._context as ctx_module
from faircollect.cli import build_app, main

AS_OF = "2026-10-31"
BORROWERS = 60


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def one(self) -> dict[str, Any]:
        """The single JSON object the command printed (on one line)."""
        assert self.code == 0, self.err
        lines = self.out.splitlines()
        assert len(lines) == 1, self.out
        value = json.loads(lines[0])
        assert isinstance(value, dict)
        return value

    def lines(self) -> list[dict[str, Any]]:
        """The JSON Lines the command printed: one object a line."""
        assert self.code == 0, self.err
        values = [json.loads(line) for line in self.out.splitlines()]
        assert all(isinstance(v, dict) for v in values), self.out
        return values


class World:
    """A home with a portfolio, and `faircollect` run in this process against it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.folder = root / "portfolio"
        self.env = {"FAIRCOLLECT_HOME": str(self.home), "FAIRCOLLECT_ACTOR": "tester",
                    "FAIRCOLLECT_CHANNEL": f"file:{root / 'sent'}"}
        self.personal: set[str] = set()
        self.outputs: list[str] = []

    def run(self, *args: str, stdin: str | None = None, **env: str) -> Ran:
        built: list[Any] = []
        real = ctx_module.build_app

        def build(*a: Any, **kw: Any) -> Any:
            made = real(*a, **kw)
            built.append(made)
            return made

        # Real text streams over bytes: some commands write to sys.stdout.buffer.
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
        err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
        with pytest.MonkeyPatch.context() as mp:
            for name in ("FAIRCOLLECT_DATABASE_URL", "FAIRCOLLECT_ROLES", "FAIRCOLLECT_DEBUG"):
                mp.delenv(name, raising=False)
            for name, value in {**self.env, **env}.items():
                mp.setenv(name, value)
            mp.setattr(ctx_module, "build_app", build)
            if stdin is not None:
                mp.setattr("sys.stdin", io.StringIO(stdin))
            try:
                with redirect_stdout(out), redirect_stderr(err):
                    code = main(list(args))
            finally:
                for app in built:
                    app.store.dispose()
        ran = Ran(code, _text(out), _text(err))
        if args[:2] != ("subject", "export"):  # a borrower's own export holds their data
            self.outputs.append(ran.out + ran.err)
        return ran


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8")


def _personal_values(folder: Path) -> set[str]:
    values: set[str] = set()
    with (folder / "borrowers.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            values |= {row["full_name"], row["national_id"], row["phone"], row["email"]}
    with (folder / "contacts.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            values |= {row["name"], row["phone"]}
    # Phones also as bare digits (how a normalised number would show up).
    values |= {d for v in values if len(d := re.sub(r"\D", "", v)) >= 10}
    return {v for v in values if len(v) >= 4}


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
        return sum(1 for _ in csv.DictReader(fh))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = World(tmp_path_factory.mktemp("cli-json"))
    gen = w.run("generate", str(w.folder), "--borrowers", str(BORROWERS), "--as-of", AS_OF,
                "--json")
    w.generated = gen.one()  # type: ignore[attr-defined]
    w.imported = w.run("import", str(w.folder), "--json").one()  # type: ignore[attr-defined]
    w.personal = _personal_values(w.folder)
    assert w.run("templates", "add", "--from-library", FAIRCOLLECT_ACTOR="writer").code == 0
    assert w.run("templates", "submit", "--all", FAIRCOLLECT_ACTOR="writer").code == 0
    assert w.run("templates", "approve", "--all", FAIRCOLLECT_ACTOR="officer",
                 FAIRCOLLECT_ROLES="compliance").code == 0
    w.days = w.run("cycle", "--from", "2026-11-01", "--to", "2026-11-02",  # type: ignore[attr-defined]
                   "--json").lines()
    yield w
    leaked = sorted(v for v in w.personal for text in w.outputs if v in text)
    assert leaked == [], "personal data in the CLI's output"


def test_every_command_that_prints_data_takes_json() -> None:
    import typer

    root: Any = typer.main.get_command(build_app())
    missing: list[str] = []

    def walk(group: Any, path: str) -> None:
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                walk(cmd, f"{path} {name}")
                continue
            opts = {o for p in cmd.params for o in getattr(p, "opts", [])}
            if "--json" not in opts and name != "serve":  # serve prints a server's log only
                missing.append(f"{path} {name}".strip())

    walk(root, "")
    assert missing == []


def test_generate_and_import(world: World, tmp_path: Path) -> None:
    g = world.generated  # type: ignore[attr-defined]
    assert g["borrowers"] == BORROWERS == _rows(world.folder / "borrowers.csv")
    for kind in ("contacts", "consents", "loans", "payments"):
        assert g[kind] == _rows(world.folder / f"{kind}.csv") > 0
    first = world.imported  # type: ignore[attr-defined]
    assert first["counts"]["borrowers"] == {"created": BORROWERS, "updated": 0, "unchanged": 0}
    assert first["counts"]["loans"]["created"] == g["loans"]
    assert first["absent"] == []
    again = world.run("import", str(world.folder), "--json").one()
    assert again["run_id"] != first["run_id"]
    assert all(c["created"] == c["updated"] == 0 for c in again["counts"].values())
    assert again["counts"]["payments"]["unchanged"] == g["payments"]
    # A folder without the optional files says which are absent.
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("borrowers.csv", "loans.csv"):
        (bare / name).write_bytes((world.folder / name).read_bytes())
    partial = world.run("import", str(bare), "--json").one()
    assert partial["absent"] == ["contacts.csv", "consents.csv", "payments.csv"]


def test_db_status_and_upgrade(world: World) -> None:
    status = world.run("db", "status", "--json").one()
    assert status["revision"] == status["newest"] and status["revision"]
    assert status["database"].endswith("faircollect.db")
    upgrade = world.run("db", "upgrade", "--json").one()
    assert upgrade == {"database": status["database"], "upgraded": False,
                       "revision": status["newest"]}


def test_payments_import(world: World, tmp_path: Path) -> None:
    file = tmp_path / "payments.csv"
    file.write_text("payment_id,loan_id,paid_on,amount\n"
                    "p-json-1,L-00000001,2026-11-01,10.00\n", encoding="utf-8")
    assert world.run("payments", "import", str(file), "--json").one() == {
        "payments": 1, "created": 1, "unchanged": 0}
    assert world.run("payments", "import", str(file), "--json").one() == {
        "payments": 1, "created": 0, "unchanged": 1}


def test_api_keys(world: World) -> None:
    made = world.run("api-key", "create", "--actor", "dialer", "--role", "collector",
                     "--scope", "decide", "--json").one()
    assert made["key"].startswith("fc_") and made["scopes"] == ["decide"]
    listed = world.run("api-key", "list", "--json")
    mine = [k for k in listed.lines() if k["actor"] == "dialer"]
    assert len(mine) == 1 and mine[0]["role"] == "collector" and mine[0]["id"]
    assert made["id"] == mine[0]["id"]  # the id to revoke it by, given at creation
    assert made["key"] not in listed.out  # the secret is shown once, at creation
    assert world.run("api-key", "revoke", mine[0]["id"], "--json").one() == {
        "id": mine[0]["id"], "revoked": True}
    assert not [k for k in world.run("api-key", "list", "--json").lines()
                if k["id"] == mine[0]["id"]]


def test_cycle_days(world: World) -> None:
    days = world.days  # type: ignore[attr-defined]
    assert [d["day"] for d in days] == ["2026-11-01", "2026-11-02"]
    for d in days:
        assert d["allowed"] + d["denied"] == d["attempts"] > 0
        assert d["enqueued"] == d["allowed"]
        assert sum(d["denied_by_category"].values()) == d["denied"]
    again = world.run("cycle", "--date", "2026-11-01", "--json").lines()
    assert len(again) == 1 and again[0]["day"] == "2026-11-01"


def test_dispatch_report_and_replay(world: World) -> None:
    stats = world.run("dispatch", "--until-empty", "--json").one()
    enqueued = sum(d["enqueued"] for d in world.days)  # type: ignore[attr-defined]
    assert stats["claimed"] == enqueued
    assert stats["sent"] + stats["expired"] + stats["denied"] + stats["deferred"] == enqueued
    report = world.run("report", "--json").one()
    assert (report["from"], report["to"]) == ("2026-11-01", "2026-11-02")
    assert report["attempts"] == sum(d["attempts"] for d in world.days)  # type: ignore[attr-defined]
    assert report["allowed"] == enqueued and Path(report["path"]).is_file()
    replay = world.run("policy", "replay", "--pack", "US", "--from", "2026-11-01", "--to",
                       "2026-11-02", "--json")
    doc = json.loads(replay.out)  # --json here is the report as one (indented) document
    assert doc["considered"] >= doc["unchanged"] >= 0


def test_cases(world: World) -> None:
    due = (date.today() + timedelta(days=10)).isoformat()
    promise = world.run("case", "promise", "b-0000005", "--loan", "L-00000005", "--amount",
                        "20.00", "--due", due, "--json").one()
    assert promise["promise_id"].startswith("ptp-")
    plan = world.run("case", "plan", "b-0000001", "--loan", "L-00000001", "--installments",
                     "3", "--first-due", due, "--json").one()
    assert plan["plan_id"].startswith("plan-")
    pause = world.run("case", "hardship", "b-0000006", "--until", due, "--json").one()
    assert set(pause) == {"pause_id"}
    dispute = world.run("case", "dispute", "open", "b-0000008", "--reason", "wrong_amount",
                        "--json").one()
    resolved = world.run("case", "dispute", "resolve", dispute["dispute_id"], "--resolution",
                         "upheld", "--json").one()
    assert set(resolved) == {"notice_message_id"}
    complaint = world.run("case", "complaint", "open", "b-0000008", "--category", "tone",
                          "--json").one()
    closed = world.run("case", "complaint", "close", complaint["complaint_id"], "--root-cause",
                       "agent_conduct", "--json").one()
    assert closed == {"complaint_id": complaint["complaint_id"], "state": "closed"}
    assert world.run("case", "cease", "b-0000002", "--json").one() == {
        "borrower_id": "b-0000002", "flag": "cease_requested"}
    assert world.run("case", "opt-out", "b-0000005", "--channel", "sms", "--json").one() == {
        "borrower_id": "b-0000005", "opted_out": "sms"}
    shown = world.run("case", "show", "b-0000002", "b-0000005", "b-0000001", "--json").lines()
    by_id = {s["borrower_id"]: s for s in shown}
    assert len(shown) == 3 and set(by_id) == {"b-0000002", "b-0000005", "b-0000001"}
    assert "cease_requested" in by_id["b-0000002"]["flags"]
    assert by_id["b-0000005"]["opted_out_channels"] == ["sms"]
    assert by_id["b-0000005"]["promise"]["amount_minor"] == 2000
    assert by_id["b-0000001"]["plan"] is not None


def test_templates(world: World) -> None:
    lint = world.run("templates", "lint", "-", "--json", stdin=(
        '{"id":"t1","locale":"en","audience":"third_party","body":"{name} owes us {amount}."}\n'
        '{"id":"t2","locale":"en","audience":"borrower","body":"Hello {name}, please call."}\n'))
    assert [(r["id"], r["compliant"]) for r in lint.lines()] == [("t1", False), ("t2", True)]
    approved = world.run("templates", "list", "--state", "approved", "--json").lines()
    assert approved and {t["state"] for t in approved} == {"approved"}
    one = approved[0]
    shown = world.run("templates", "show", one["template_id"], "--json").one()
    assert (shown["template_id"], shown["version"]) == (one["template_id"], one["version"])
    body = "Hello {name}, this is a reminder from us. Reply STOP to opt out."
    added = world.run("templates", "add", "--id", "json-test", "--locale", "en", "--audience",
                      "borrower", "--purpose", "reminder", "--channel", "sms", "--body", body,
                      "--json", FAIRCOLLECT_ACTOR="writer").one()
    assert (added["template_id"], added["state"], added["body"]) == ("json-test", "draft", body)
    sub = world.run("templates", "submit", "json-test", "--json",
                    FAIRCOLLECT_ACTOR="writer").one()
    assert sub["state"] == "in_review"
    back = world.run("templates", "send-back", "json-test", "--json", FAIRCOLLECT_ACTOR="officer",
                     FAIRCOLLECT_ROLES="compliance").one()
    assert back["state"] == "draft"
    world.run("templates", "submit", "--all", "--json", FAIRCOLLECT_ACTOR="writer").lines()
    ok = world.run("templates", "approve", "--all", "--json", FAIRCOLLECT_ACTOR="officer",
                   FAIRCOLLECT_ROLES="compliance").lines()
    assert [t["template_id"] for t in ok] == ["json-test"]
    retired = world.run("templates", "retire", "json-test", "--json",
                        FAIRCOLLECT_ACTOR="officer", FAIRCOLLECT_ROLES="compliance").one()
    assert retired["state"] == "retired"


def test_policy(world: World) -> None:
    packs = world.run("policy", "packs", "--json").lines()
    assert {"CN", "US", "UK"} <= {p["jurisdiction"] for p in packs}
    assert all(p["rules"] > 0 and p["title"] for p in packs)
    rule = world.run("policy", "explain", "US-7IN7", "--json").one()
    assert rule["rule"] == "US-7IN7" and rule["pack"].startswith("us-")
    assert "1006.14" in rule["citation"] and rule["parameters"]["limit"] == 7
    request = ('{"jurisdiction":"US","at":"2026-11-02T02:30:00Z","attempt":{"channel":"call",'
               '"audience":"borrower","purpose":"collection","contact_id":null},"borrower":'
               '{"timezone":"America/New_York","days_past_due":12,"unreachable_since":null,'
               '"flags":[],"opted_out_channels":[],"agreed_windows":[]},"contacts":[],'
               '"consents":[],"history":[],"notices":[]}\n')
    decisions = world.run("policy", "check", "-", "--json", stdin=request * 2).lines()
    assert len(decisions) == 2 and decisions[0]["allowed"] is False


def test_audit(world: World) -> None:
    cp_file = world.root / "head.checkpoint"
    cp = world.run("audit", "checkpoint", "--out", str(cp_file), "--json").one()
    assert cp_file.read_text(encoding="utf-8").split("\n")[1] == str(cp["entries"])
    verified = world.run("audit", "verify", "--checkpoint", str(cp_file), "--json").one()
    assert verified["ok"] is True and verified["problems"] == []
    assert verified["entries"] >= cp["entries"] and verified["checkpoints"] >= 1
    if verified["entries"] == cp["entries"]:
        assert verified["root"] == cp["root"]
    key = world.run("audit", "key", "--json").one()
    assert key["fingerprint"] == cp["fingerprint"] and key["verifier_key"]
    proof = world.run("audit", "prove", "0", "--json").one()
    assert proof["entry"]["seq"] == 0 and proof["tree_size"] >= cp["entries"]
    cons = world.run("audit", "consistency", "1", str(cp["entries"]), "--json").one()
    assert (cons["old_size"], cons["new_size"]) == (1, cp["entries"])
    assert cons["new_root"] == cp["root"]
    bundle = world.root / "audit.bundle"
    exported = world.run("audit", "export", str(bundle), "--to", str(cp["entries"] - 1),
                         "--json").one()
    assert exported["entries"] == cp["entries"] == len(json.loads(bundle.read_bytes())["entries"])


def test_consent(world: World, tmp_path: Path) -> None:
    notice = tmp_path / "notice.txt"
    notice.write_text("We may send you e-mail about your account.", encoding="utf-8")
    granted = world.run("consent", "grant", "b-0000003", "electronic_communications",
                        "--notice", str(notice), "--policy-version", "pp-9", "--json").one()
    assert set(granted) == {"consent_id", "record_id", "receipt_id"}
    receipt = world.run("consent", "receipt", granted["consent_id"], "--json").one()
    assert receipt["receipt"]["consentReceiptID"] == granted["receipt_id"]
    file = tmp_path / "receipt.json"
    assert world.run("consent", "receipt", granted["consent_id"], "--out", str(file),
                     "--json").one() == {"path": str(file)}
    checked = world.run("consent", "verify-receipt", str(file), "--json").one()
    assert checked == {"verified": True, "receipt_id": granted["receipt_id"],
                       "event": checked["event"], "consent_id": granted["consent_id"]}
    key = world.run("consent", "public-key", "--json").one()
    assert key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert re.fullmatch(r"[0-9a-f]{16}", key["key_id"])
    renewed = world.run("consent", "renew", granted["consent_id"], "--notice", str(notice),
                        "--policy-version", "pp-10", "--json").one()
    assert renewed["consent_id"] == granted["consent_id"]
    assert renewed["record_id"] != granted["record_id"]
    gone = world.run("consent", "withdraw", granted["consent_id"], "--json").one()
    assert gone["consent_id"] == granted["consent_id"]
    review = world.run("consent", "review", "--as-of", "2026-11-03", "--json").lines()
    assert review and {r["finding"] for r in review} <= {"expiring", "lapsed", "overdue"}
    assert not any(r["stopped"] for r in review)  # without --apply nothing changes
    text = world.run("consent", "review", "--as-of", "2026-11-03")
    assert f"{sum(r['finding'] == 'expiring' for r in review)} expiring" in text.out


def test_keys_subject_retention(world: World, tmp_path: Path) -> None:
    before = world.run("keys", "status", "--json").one()
    assert before["masters"][before["current"]] == BORROWERS
    rotated = world.run("keys", "rotate", "--json").one()
    assert rotated["rewrapped"] == BORROWERS and rotated["retired"] == [before["current"]]
    after = world.run("keys", "status", "--json").one()
    assert after["current"] == rotated["new_master"] != before["current"]
    exported = world.run("subject", "export", "b-0000009", "--json").one()
    assert exported["borrower"]["borrower_id"] == "b-0000009"
    out = tmp_path / "b9.json"
    assert world.run("subject", "export", "b-0000009", "--out", str(out), "--json").one() == {
        "path": str(out)}
    erased = world.run("subject", "erase", "b-0000009", "--yes", "--json").one()
    assert erased["borrower_id"] == "b-0000009" and erased["key_destroyed"] is True
    assert world.run("keys", "status", "--json").one()["awaiting_shred"] == 1
    shred = world.run("keys", "shred", "--json").one()
    assert shred["shredded"] == 1 and shred["rewrapped"] == BORROWERS - 1
    assert shred["destroyed"] == [rotated["new_master"]]
    due = world.run("retention", "run", "--as-of", "2040-01-01", "--dry-run", "--json").lines()
    assert due and all(d["erased"] is False and d["due_on"] <= "2040-01-01" for d in due)
    assert "b-0000009" not in {d["borrower_id"] for d in due}  # already erased
    book = world.run("retention", "address-book", "--json").lines()
    assert book and all(r["contact_id"].startswith("c-") for r in book)
    with (world.folder / "contacts.csv").open(encoding="utf-8") as fh:
        harvested = {r["contact_id"] for r in csv.DictReader(fh) if r["source"] == "address_book"}
    assert {r["contact_id"] for r in book} <= harvested


@pytest.mark.slow
def test_demo(tmp_path: Path) -> None:
    w = World(tmp_path)
    result = w.run("demo", "--borrowers", "40", "--days", "2", "--as-of", "2026-11-28", "--json")
    doc = result.one()
    assert doc["as_of"] == "2026-11-28" and doc["generated"]["borrowers"] == 40
    assert doc["imported"]["borrowers"]["created"] == 40
    assert sum(b["accounts"] for b in doc["buckets"]) == doc["loans"]
    assert doc["audit"]["ok"] is True and doc["audit"]["entries"] > 0
    assert Path(doc["portfolio_report"]).is_file()
    assert "generating 40 synthetic borrowers" in result.err  # the narration, on stderr
    folder = w.home / "demo-portfolio"
    leaked = [v for v in _personal_values(folder) if v in result.out + result.err]
    assert leaked == []


def test_json_output_is_one_line_per_record_not_pretty(world: World) -> None:
    # The text views of prove and receipt are indented documents; --json is one line.
    pretty = world.run("audit", "prove", "0")
    assert pretty.code == 0 and len(pretty.out.splitlines()) > 1
    assert json.loads(pretty.out) == world.run("audit", "prove", "0", "--json").one()
