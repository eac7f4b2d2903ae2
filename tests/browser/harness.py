"""A real `faircollect serve` on a free loopback port over a demo portfolio, and Debian's
Chromium driven by Playwright (no browser download). Shared by the browser tests and
tools/web_screenshots.py."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

FAIRCOLLECT = Path(sys.executable).with_name("faircollect")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AS_OF = "2026-05-03"


@dataclass
class Demo:
    home: Path
    url: str
    env: dict[str, str]
    passwords: dict[str, str]
    contact_path: str
    proc: subprocess.Popen[bytes] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def code(self, username: str) -> str:
        out = subprocess.run([str(FAIRCOLLECT), "web", "demo-code", username], env=self.env,
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def run(self, *args: str) -> str:
        out = subprocess.run([str(FAIRCOLLECT), *args], env=self.env, capture_output=True,
                             text=True)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout

    def sent_code(self, borrower_id: str) -> str:
        lines = (self.home / "sent" / "messages.jsonl").read_text().splitlines()
        for line in reversed(lines):
            m = json.loads(line)
            if m["borrower_id"] == borrower_id and m["template_id"] == "otp":
                found = re.search(r"\b(\d{6})\b", m["body"])
                assert found
                return found.group(1)
        raise AssertionError("no code sent")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(home: Path, *, borrowers: int = 40, days: int = 5) -> Demo:
    """Make a demo portfolio in `home`, seed templates to review, start the server."""
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    env = {**os.environ, "FAIRCOLLECT_HOME": str(home), "COLUMNS": "200"}
    for name in ("FAIRCOLLECT_DATABASE_URL", "FAIRCOLLECT_CHANNEL"):  # embedded, file:sent
        env.pop(name, None)
    out = subprocess.run([str(FAIRCOLLECT), "demo", "--borrowers", str(borrowers), "--days",
                          str(days), "--as-of", AS_OF, "--quiet"], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:] + out.stdout[-3000:]
    passwords = dict(re.findall(r"(demo-[a-z]+) \([a-z]+\), password (\S+)", out.stdout))
    contact = re.search(r"(/contact/[A-Za-z0-9_-]+)", out.stdout)
    assert passwords and contact, out.stdout[-2000:]
    _seed_review(env)
    port = free_port()
    with (home / "serve.log").open("wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([str(FAIRCOLLECT), "serve", "--host", "127.0.0.1", "--port",
                                 str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError((home / "serve.log").read_text()[-2000:])
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("faircollect serve did not start")
        time.sleep(0.2)
    return Demo(home, url, env, passwords, contact.group(1), proc)


def _seed_review(env: dict[str, str]) -> None:
    """Two templates waiting for review and one draft with lint findings (by an author)."""
    code = """
from faircollect.bootstrap import build_app
from faircollect.config import load_settings
from faircollect.content.registry import TemplateRegistry
from faircollect.content.template import Actor, TemplateDraft
app = build_app(load_settings())
reg = TemplateRegistry(app.store)
author = Actor("staff:author")
for tid, body in (("web-reminder-a", "Hello {name}, your payment of {amount} is due. Call us on {hotline}. Reply STOP to opt out."),
                  ("web-reminder-b", "Hello {name}, please get in touch about your account: {hotline}. Reply STOP to opt out.")):
    t = reg.add(author, TemplateDraft(template_id=tid, locale="en", audience="borrower",
                purpose="collection", body=body, channel="sms", jurisdiction="US"))
    reg.submit(author, tid, t.version)
reg.add(author, TemplateDraft(template_id="web-draft-threat", locale="en", audience="borrower",
        purpose="collection", body="Pay now or we will tell your employer and the police will arrest you.",
        channel="sms", jurisdiction="US"))
app.store.dispose()
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]


def stop(demo: Demo) -> None:
    if demo.proc is not None:
        demo.proc.terminate()
        try:
            demo.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            demo.proc.kill()
            demo.proc.wait()


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def staff_sign_in(page: Any, demo: Demo, username: str) -> None:
    page.goto(f"{demo.url}/console/sign-in")
    page.fill("#username", username)
    page.fill("#password", demo.passwords[username])
    page.fill("#code", demo.code(username))
    page.click("button[type=submit] >> text=Sign in")
    page.wait_for_load_state()
