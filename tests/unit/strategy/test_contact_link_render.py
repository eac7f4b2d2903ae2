"""The contact person's link in a cycle message: a pinned token vector, the URL's shape, and
the renderer's handling of `{optout_link}` (linted as a stand-in, anything but a contact-page
URL refused)."""

from __future__ import annotations

import pytest

from faircollect.errors import InputError
from faircollect.strategy.messages import LINK_STAND_IN, library_templates, render
from faircollect.web.services.contact_links import CycleLinks, _digest

KEY = bytes(range(32))
IDEM = "cycle:2026-05-05:B-000123:cn-mid-locate:c-000045"


def test_the_token_is_the_keyed_digest_of_the_attempt_key_and_the_url_holds_only_it() -> None:
    links = CycleLinks(key=KEY, base_url="https://collect.example.test/fc")
    # HMAC-SHA256(key, "contact-link\0" + idempotency key)[:24], URL-safe base64.
    assert links.token(IDEM) == "NoiDvxBWNG-pS0XBAqz9HDJnP7eHuJaV"
    url, row = links.issue(IDEM, "c-000045", "B-000123")
    assert url == "https://collect.example.test/fc/contact/NoiDvxBWNG-pS0XBAqz9HDJnP7eHuJaV"
    assert row.token_digest == _digest("NoiDvxBWNG-pS0XBAqz9HDJnP7eHuJaV")
    assert "c-000045" not in url and "B-000123" not in url
    assert CycleLinks(key=bytes(32), base_url="x").token(IDEM) != links.token(IDEM)


def test_every_contact_template_renders_the_link_and_refuses_anything_else() -> None:
    lib = library_templates()
    links = CycleLinks(key=KEY, base_url="http://127.0.0.1:8000")
    values = {"company": "FairCollect", "hotline": "400-000-0000", "name": "N", "agent": "A"}
    found = [t for t in lib.templates.values() if t.audience == "designated_contact"]
    assert found and all("optout_link" in t.placeholders for t in found)
    for i, tpl in enumerate(found):
        url = links.issue(f"{IDEM}:{i}", "c", "b")[0]
        text = render(tpl, {**values, "optout_link": url})
        assert text.count(url) == 1 and LINK_STAND_IN not in text
    tpl = found[0]
    for bad in ("http://127.0.0.1:8000/contact/short", "javascript:alert(1)",
                "http://127.0.0.1:8000/contact/" + "a" * 32 + " pay now",
                "http://u:p@host/contact/" + "a" * 32):
        with pytest.raises(InputError, match="optout_link"):
            render(tpl, {**values, "optout_link": bad})
    with pytest.raises(InputError, match="optout_link"):  # a contact message needs its link
        render(tpl, values)


def test_the_public_url_setting_is_a_plain_http_base() -> None:
    from faircollect.config import load_settings
    from faircollect.errors import ConfigError

    assert load_settings({}).public_url == "http://127.0.0.1:8000"
    got = load_settings({"FAIRCOLLECT_PUBLIC_URL": " https://collect.example.test/fc/ "})
    assert got.public_url == "https://collect.example.test/fc"
    for bad in ("ftp://x", "https://x/?a=1", "https://u:p@x", "https://x/#f", "x.test"):
        with pytest.raises(ConfigError, match="FAIRCOLLECT_PUBLIC_URL"):
            load_settings({"FAIRCOLLECT_PUBLIC_URL": bad})
