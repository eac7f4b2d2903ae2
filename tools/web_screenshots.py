"""Screenshots of the web faces' main pages in English and zh-CN into docs/screenshots/.

    .venv/bin/python tools/web_screenshots.py [--out docs/screenshots]

Makes a small demo portfolio in a temporary home, starts `faircollect serve` on a free
loopback port and drives Debian's Chromium (apt-get install -y chromium; for the zh-CN
glyphs also a CJK font, e.g. apt-get install -y fonts-wqy-microhei) with Playwright.
PNGs are palette-quantised when Pillow is installed, to keep them small.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
import harness  # noqa: E402

PAGES = (("console-dashboard", "demo-compliance", "/console"),
         ("console-queue", "demo-collector", "/console/queue"),
         ("console-case", "demo-collector", "CASE"),
         ("console-template", "demo-compliance", "/console/templates/web-draft-threat"),
         ("console-replay", "demo-compliance", "/console/replay"))


def _small(path: Path) -> None:
    try:
        from PIL import Image
    except ImportError:
        return
    Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        demo = harness.start(Path(tmp) / "home")
        try:
            with sqlite3.connect(demo.home / "faircollect.db") as conn:
                case = conn.execute("select borrower_id from case_assignments where "
                                    "collector_id = 'staff:demo-collector' order by "
                                    "borrower_id limit 1").fetchone()[0]
                bid = conn.execute(
                    "select borrower_id from borrowers where phone_unverified = 0 and "
                    "locale in ('en', 'zh-CN') and phone_ct is not null order by borrower_id "
                    "limit 1").fetchone()[0]
            with sync_playwright() as p:
                browser = harness.launch(p)
                staff = {}
                for user in ("demo-compliance", "demo-collector"):
                    ctx = browser.new_context(locale="en-US",
                                              viewport={"width": 1100, "height": 900})
                    page = ctx.new_page()
                    harness.staff_sign_in(page, demo, user)
                    staff[user] = page
                for lang in ("en", "zh-CN"):
                    for name, user, path in PAGES:
                        page = staff[user]
                        target = f"/console/cases/{case}" if path == "CASE" else path
                        page.goto(f"{demo.url}{target}?lang={lang}", wait_until="networkidle")
                        shot = out / f"{name}.{lang}.png"
                        page.screenshot(path=str(shot), full_page=False)
                        _small(shot)
                mobile = browser.new_context(locale="en-US",
                                             viewport={"width": 390, "height": 844})
                page = mobile.new_page()
                page.goto(f"{demo.url}/portal/sign-in")
                page.fill("#borrower_id", bid)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                page.fill("#code", demo.sent_code(bid))
                page.click("button[type=submit]")
                page.wait_for_load_state()
                for lang in ("en", "zh-CN"):
                    page.goto(f"{demo.url}/portal?lang={lang}")
                    shot = out / f"portal-home.{lang}.png"
                    page.screenshot(path=str(shot), full_page=False)
                    _small(shot)
                    page.goto(f"{demo.url}{demo.contact_path}?lang={lang}")
                    shot = out / f"contact-page.{lang}.png"
                    page.screenshot(path=str(shot), full_page=False)
                    _small(shot)
                browser.close()
        finally:
            harness.stop(demo)
    for f in sorted(out.glob("*.png")):
        print(f"{f}  {f.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
