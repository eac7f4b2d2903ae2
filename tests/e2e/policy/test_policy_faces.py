"""The CLI and HTTP faces give the same decisions for the same requests, as the spec says."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from faircollect.api import create_app
from faircollect.api.auth import issue_key
from faircollect.cli import main
from faircollect.config import Secret, Settings

REQUEST: dict[str, Any] = {
    "jurisdiction": "CN", "at": "2026-05-11T14:05:00+00:00",
    "attempt": {"channel": "call", "audience": "borrower", "purpose": "collection",
                "contact_id": None},
    "borrower": {"timezone": "Asia/Shanghai", "days_past_due": 20, "unreachable_since": None,
                 "flags": [], "opted_out_channels": [], "agreed_windows": []},
    "contacts": [], "consents": [], "history": [], "notices": [],
}


class Client:
    """A small synchronous client over the ASGI app (no server, no network)."""

    def __init__(self, home: Path) -> None:
        settings = Settings(home=home, database_url=Secret(f"sqlite:///{home / 'fc.db'}"))
        self.app = create_app(settings)
        self.key = issue_key(home, actor_id="dialer", role="collector", scopes=("decide",))

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.key}", **kwargs.pop("headers", {})}

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await c.post(path, headers=headers, **kwargs)

        return asyncio.run(go())


def fixtures(examples: Path | None = None) -> list[dict[str, Any]]:
    allowed = json.loads(json.dumps(REQUEST))
    allowed["at"] = "2026-05-11T06:00:00+00:00"
    held = json.loads(json.dumps(allowed))
    held["borrower"]["flags"] = ["dispute_open"]
    out = [REQUEST, allowed, held]
    if examples is not None:
        out += [json.loads(line)["request"] for line in examples.read_text().splitlines()]
    return out


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_jsonl_and_http_agree(tmp_path: Path, capsysbinary: Any,
                                  policy_examples_if_present: Path | None) -> None:
    reqs = fixtures(policy_examples_if_present)
    f = tmp_path / "reqs.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in reqs))
    proc = subprocess.run([sys.executable, "-m", "faircollect", "policy", "check", str(f)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    from_cli = [json.loads(line) for line in proc.stdout.splitlines()]
    client = Client(tmp_path)
    batch = client.post("/v1/policy/decisions", json={"requests": reqs})
    assert batch.status_code == 200
    assert batch.json()["decisions"] == from_cli
    single = client.post("/v1/policy/decisions", json=reqs[0])
    assert single.json() == from_cli[0]
    assert from_cli[0]["allowed"] is False
    assert from_cli[0]["violations"][0]["category"] == "HOURS"
    assert from_cli[0]["next_allowed_at"] == "2026-05-12T08:00:00+08:00"
    assert from_cli[0]["pack"] == "cn-2026.1"
    assert from_cli[1] == {"allowed": True, "violations": [], "next_allowed_at": None,
                           "pack": "cn-2026.1"}


def test_cli_single_json_and_stdin() -> None:
    proc = subprocess.run([sys.executable, "-m", "faircollect", "policy", "check", "-"],
                          input=json.dumps(REQUEST, indent=2), capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    assert json.loads(line)["allowed"] is False


def test_cli_malformed_input_names_line_and_field(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    bad = json.loads(json.dumps(REQUEST))
    bad["borrower"]["timezone"] = "Nowhere/Atlantis"
    f = tmp_path / "reqs.jsonl"
    f.write_text(json.dumps(REQUEST) + "\n" + json.dumps(bad) + "\n")
    code, out, err = cli(["policy", "check", str(f)], capsys)
    assert code == 2
    assert out == ""  # nothing decided when any line is bad
    assert "reqs.jsonl:2" in err and "borrower.timezone" in err
    f.write_text(json.dumps(REQUEST) + "\n{not json\n")
    code, _, err = cli(["policy", "check", str(f)], capsys)
    assert code == 2 and "reqs.jsonl:2" in err


def test_http_malformed_input_is_422_naming_the_field(tmp_path: Path) -> None:
    client = Client(tmp_path)
    bad = json.loads(json.dumps(REQUEST))
    bad["at"] = "2026-05-11T14:05:00"
    r = client.post("/v1/policy/decisions", json=bad)
    assert r.status_code == 422 and r.json()["field"] == "at"
    r = client.post("/v1/policy/decisions", json={"requests": [REQUEST, bad]})
    assert r.status_code == 422 and "requests[1]" in r.json()["detail"]
    assert r.headers["content-type"] == "application/problem+json"
    r = client.post("/v1/policy/decisions", content=b"{nope")
    assert r.status_code == 422
    bad = json.loads(json.dumps(REQUEST))
    bad["jurisdiction"] = "FR"
    r = client.post("/v1/policy/decisions", json=bad)
    assert r.status_code == 422 and r.json()["field"] == "jurisdiction"


def test_packs_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["policy", "packs"], capsys)
    assert code == 0 and "cn-2026.1" in out and "us-2026.1" in out and "uk-2026.1" in out
    code, out, _ = cli(["policy", "explain", "US-7IN7"], capsys)
    assert code == 0 and "1006.14(b)(2)" in out and "counted_cap" in out
    code, _, err = cli(["policy", "explain", "NOPE-1"], capsys)
    assert code == 2 and "NOPE-1" in err
