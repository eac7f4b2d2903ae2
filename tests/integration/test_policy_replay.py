"""Recorded decisions and what-if replay under a tightened pack, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

import faircollect.cli._context as ctx_module
from faircollect.cli import main
from faircollect.errors import InputError
from faircollect.policy import decide, parse_request, resolve_pack
from faircollect.policy.pack import _builtin_text, load_pack_file
from faircollect.policy.records import record_decisions
from faircollect.policy.replay import pack_for, replay
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.policy import policy_decisions

NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)
REQUEST: dict[str, Any] = {
    "jurisdiction": "US", "at": "2026-05-11T00:30:00+00:00",  # 20:30 in New York (EDT)
    "attempt": {"channel": "call", "audience": "borrower", "purpose": "collection",
                "contact_id": None},
    "borrower": {"timezone": "America/New_York", "days_past_due": 20,
                 "unreachable_since": None, "flags": [], "opted_out_channels": [],
                 "agreed_windows": []},
    "contacts": [], "consents": [], "history": [], "notices": [],
}


def request(at: str, **borrower: Any) -> dict[str, Any]:
    r = copy.deepcopy(REQUEST)
    r["at"] = at
    r["borrower"].update(borrower)
    return r


# 20:30 local: allowed by us-2026.2 (until 21:00), denied once quiet hours start at 20:00.
EVENING = request("2026-05-11T00:30:00+00:00")
# 14:00 local: allowed under both.
AFTERNOON = request("2026-05-11T18:00:00+00:00")
# 20:30 local with a dispute open: denied under both; the tightened pack adds US-HOURS.
HELD = request("2026-05-12T00:30:00+00:00", flags=["dispute_open"])
# 07:30 local: denied under both for hours (unchanged).
EARLY = request("2026-05-12T11:30:00+00:00")
# Outside the replayed range.
LATER = request("2026-06-02T00:30:00+00:00")


@pytest.fixture
def tight_pack(tmp_path: Path) -> Path:
    text = _builtin_text("us-2026.2.yaml").replace("id: us-2026.2", "id: us-2026.3").replace(
        'params: {start: "08:00", end: "21:00"', 'params: {start: "08:00", end: "20:00"')
    assert "us-2026.3" in text and '"20:00"' in text
    path = tmp_path / "us-tight.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def record(store: Any, raws: list[dict[str, Any]], *, source: str = "cycle") -> list[str]:
    pack = resolve_pack("US")
    items = []
    for i, raw in enumerate(raws):
        req = parse_request(raw)
        items.append((req, decide(req, pack), f"b-{i}", f"m-{i}"))
    with store.transaction(actor="cycle") as uow:
        return record_decisions(uow, items, source=source, now=NOW)


def test_record_decisions_writes_rows_and_one_audit_entry(store) -> None:  # type: ignore[no-untyped-def]
    ids = record(store, [EVENING, HELD, AFTERNOON])
    assert len(set(ids)) == 3
    with store.read() as conn:
        rows = conn.execute(select(policy_decisions).order_by(policy_decisions.c.borrower_id)
                            ).mappings().all()
        audits = conn.execute(select(audit_entries)).mappings().all()
    assert [r["borrower_id"] for r in rows] == ["b-0", "b-1", "b-2"]
    held = rows[1]
    assert held["allowed"] is False and held["pack_id"] == "us-2026.2"
    assert held["rules"] == "HOUSE-HOLDS" and held["categories"] == "HOLD"
    assert held["decided_at"] == datetime(2026, 5, 12, 0, 30, tzinfo=UTC)
    assert held["recorded_at"] == NOW and held["source"] == "cycle"
    assert held["reference"] == "m-1" and held["channel"] == "call"
    # The stored request is canonical JSON that parses back to the same request.
    assert parse_request(orjson.loads(held["request"])) == parse_request(HELD)
    assert orjson.loads(held["decision"])["violations"][0]["citation"]
    assert len(audits) == 1
    entry = audits[0]
    assert entry["action"] == "policy.decided"
    payload = orjson.loads(entry["record"])["payload"]
    assert payload["count"] == 3 and payload["pack"] == "us-2026.2"
    assert payload["allowed"] == 2 and payload["denied"] == 1
    assert payload["first"] == ids[0] and payload["last"] == ids[-1]


def test_record_decisions_refuses_bad_input_and_writes_nothing(store) -> None:  # type: ignore[no-untyped-def]
    req = parse_request(EVENING)
    item = (req, decide(req, resolve_pack("US")), "", None)
    with pytest.raises(InputError, match="borrower_id"), store.transaction("t") as uow:
        record_decisions(uow, [item], source="cycle")
    with pytest.raises(InputError, match="source"), store.transaction("t") as uow:
        record_decisions(uow, [item], source="Not A Token")
    with store.transaction("t") as uow:
        assert record_decisions(uow, [], source="cycle") == []
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(policy_decisions)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(audit_entries)).scalar() == 0


def test_replay_reports_what_a_tightened_pack_changes(store, tight_pack: Path) -> None:  # type: ignore[no-untyped-def]
    ids = record(store, [EVENING, AFTERNOON, HELD, EARLY, LATER])
    new = load_pack_file(tight_pack)
    assert new.id == "us-2026.3"
    report = replay(store, new, start=date(2026, 5, 1), end=date(2026, 5, 31))
    data = report.to_json()
    assert data["considered"] == 4  # LATER is outside the range
    assert data["recorded_packs"] == {"us-2026.2": 4}
    assert data["unchanged"] == 2  # AFTERNOON and EARLY
    a2d = data["allowed_to_denied"]
    assert a2d["count"] == 1 and a2d["examples"] == [ids[0]]
    assert a2d["by_rule"] == {"US-HOURS": 1} and a2d["by_category"] == {"HOURS": 1}
    assert data["denied_to_allowed"]["count"] == 0
    changed = data["rules_changed"]
    assert changed["count"] == 1 and changed["examples"] == [ids[2]]
    assert changed["by_rule"] == {"US-HOURS": 1}
    # The other way round: the shipped pack replayed over decisions taken under the new one.
    back = replay(store, resolve_pack("us-2026.2"), start=date(2026, 5, 11),
                  end=date(2026, 5, 11))
    assert back.considered == 2 and back.allowed_to_denied.count == 0


def test_replay_loosened_pack_counts_denied_to_allowed(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ids = record(store, [EARLY, EVENING])
    text = _builtin_text("us-2026.2.yaml").replace("id: us-2026.2", "id: us-2026.4").replace(
        'params: {start: "08:00", end: "21:00"', 'params: {start: "07:00", end: "21:00"')
    path = tmp_path / "us-early.yaml"
    path.write_text(text, encoding="utf-8")
    report = replay(store, pack_for(str(path)), start=date(2026, 5, 11), end=date(2026, 5, 12))
    assert report.denied_to_allowed.count == 1
    assert report.denied_to_allowed.examples == [ids[0]]
    assert report.denied_to_allowed.by_rule == {"US-HOURS": 1}
    assert report.allowed_to_denied.count == 0 and report.unchanged == 1


def test_replay_skips_other_families_unless_asked(store, tight_pack: Path) -> None:  # type: ignore[no-untyped-def]
    record(store, [EVENING])
    cn = replay(store, resolve_pack("CN"), start=date(2026, 5, 1), end=date(2026, 5, 31))
    assert cn.considered == 0 and cn.family == "cn"
    every = replay(store, resolve_pack("CN"), start=date(2026, 5, 1), end=date(2026, 5, 31),
                   all_packs=True)
    assert every.considered == 1
    with pytest.raises(InputError, match="end date"):
        replay(store, resolve_pack("US"), start=date(2026, 5, 2), end=date(2026, 5, 1))


def test_replay_cli_json_and_table(store, settings, tight_pack: Path, monkeypatch,  # type: ignore[no-untyped-def]
                                   capsys) -> None:
    ids = record(store, [EVENING, AFTERNOON])
    monkeypatch.setenv("FAIRCOLLECT_HOME", str(settings.home))
    monkeypatch.setenv("FAIRCOLLECT_DATABASE_URL", settings.database_url.value)
    built: list[Any] = []
    real = ctx_module.build_app
    monkeypatch.setattr(ctx_module, "build_app", lambda *a, **k: built.append(real(*a, **k))
                        or built[-1])

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(args))
        finally:
            while built:
                built.pop().store.dispose()
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, err = run("policy", "replay", "--pack", str(tight_pack), "--from", "2026-05-01",
                         "--to", "2026-05-31", "--json")
    assert code == 0, err
    data = orjson.loads(out)
    assert data["pack"] == "us-2026.3" and data["allowed_to_denied"]["examples"] == [ids[0]]
    code, out, err = run("policy", "replay", "--pack", str(tight_pack), "--from", "2026-05-01",
                         "--to", "2026-05-31")
    assert code == 0, err
    assert "allowed -> denied: 1" in out and "US-HOURS" in out and ids[0] in out
    code, _, err = run("policy", "replay", "--pack", "us-2026.1", "--from", "May 1",
                       "--to", "2026-05-31")
    assert code == 2 and "from" in err


def test_replay_names_a_stored_request_that_no_longer_validates(store) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    ids = record(store, [EVENING])
    broken = orjson.loads(orjson.dumps(EVENING))
    broken["attempt"]["channel"] = "pigeon"
    with store.transaction("t") as uow:
        uow.conn.execute(update(policy_decisions).values(request=orjson.dumps(broken).decode()))
    with pytest.raises(InputError, match=f"decision {ids[0]}: field attempt.channel"):
        replay(store, resolve_pack("US"), start=date(2026, 5, 1), end=date(2026, 5, 31))


def test_a_broken_pack_file_is_refused_before_replay(tmp_path: Path) -> None:
    from faircollect.errors import ConfigError

    path = tmp_path / "us-loose.yaml"
    path.write_text(_builtin_text("us.yaml").replace("includes: house-2026.1\n", ""), "utf-8")
    with pytest.raises(ConfigError, match="house baseline"):
        pack_for(str(path))
