"""Rendering: plain lookups only, per-channel escaping, missing values, and the re-lint."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from faircollect.content.rendering import placeholders, render, render_checked
from faircollect.errors import Conflict, InputError


def test_placeholders_are_plain_names_only() -> None:
    assert placeholders("{name} owes {amount}; {name}") == ("name", "amount")
    for bad in ("{0}", "{name.__class__}", "{a[0]}", "{name!r}", "{amount:>10}", "{}", "a } b"):
        with pytest.raises(InputError):
            placeholders(bad)


def test_render_substitutes_and_never_formats_or_evaluates() -> None:
    out = render("{name}: {amount} by {due}", {"name": "{amount}", "amount": Decimal("12.50"),
                                               "due": date(2026, 3, 1)}, channel="letter")
    assert out == "(amount): 12.50 by 2026-03-01"  # a value cannot open a placeholder
    with pytest.raises(InputError, match="amount"):
        render("{name} {amount}", {"name": "A"}, channel="sms")
    with pytest.raises(InputError):
        render("{name}", {"name": ["a"]}, channel="sms")  # type: ignore[dict-item]


def test_values_are_escaped_per_channel() -> None:
    assert render("<p>{n}</p>", {"n": '<b>&"x"'}, channel="email") == (
        "<p>&lt;b&gt;&amp;&quot;x&quot;</p>")
    assert render("Hi {n}.", {"n": "Ann\n\n  Lee\u200b"}, channel="sms") == "Hi Ann Lee."


def test_render_checked_relints_the_rendered_text() -> None:
    body = "{name}您好，请致电{hotline}。"
    ok = render_checked(body, {"name": "王先生", "hotline": "95000"}, locale="zh-CN",
                        audience="designated_contact", channel="call")
    assert ok == "王先生您好，请致电95000。"
    with pytest.raises(Conflict, match="THIRD_PARTY_DISCLOSURE"):
        render_checked(body, {"name": "欠款人王先生", "hotline": "95000"}, locale="zh-CN",
                       audience="designated_contact", channel="call")
