"""Rendering a template: safe placeholder substitution, per-channel escaping, and a re-lint.

Substitution is a plain lookup of ``{name}`` in the given values: no format specs, no
attribute or index access, no expressions, so a template cannot reach into objects. A value
can still smuggle words into a message ("{name}" = "you thief"), so `render_checked` lints
the rendered text again before it may be dispatched.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from faircollect.content.finding import Finding
from faircollect.content.linter import lint
from faircollect.errors import Conflict, InputError

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BRACE = re.compile(r"[{}]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u2060\ufeff]")
Value = str | int | Decimal | date


def placeholders(body: str) -> tuple[str, ...]:
    """The placeholder names of a body, in order of first use; malformed braces are an error."""
    names: list[str] = []
    for m in _PLACEHOLDER.finditer(body):
        if m.group(1) not in names:
            names.append(m.group(1))
    stray = _BRACE.search(_PLACEHOLDER.sub("", body))
    if stray is not None:
        raise InputError(
            "a template may only use {name} placeholders (letters, digits, underscore); "
            "found a stray or malformed brace", field="body",
        )
    return tuple(names)


def render(body: str, values: Mapping[str, Value], *, channel: str | None) -> str:
    """Substitute every placeholder; a missing value is an error naming the placeholder."""
    names = placeholders(body)
    missing = [n for n in names if n not in values]
    if missing:
        raise InputError(f"missing value for placeholder(s): {', '.join(missing)}",
                         field="values", placeholders=missing)

    def sub(m: re.Match[str]) -> str:
        return _escape(_text(values[m.group(1)], m.group(1)), channel)

    return _PLACEHOLDER.sub(sub, body)


def render_checked(
    body: str,
    values: Mapping[str, Value],
    *,
    locale: str,
    audience: str,
    channel: str | None,
    require_opt_out: bool | None = None,
) -> str:
    """Render and lint the result; findings (e.g. words smuggled in a value) block sending."""
    text = render(body, values, channel=channel)
    findings: list[Finding] = lint(text, locale=locale, audience=audience, channel=channel,
                                   require_opt_out=require_opt_out)
    if findings:
        raise Conflict(
            "the rendered message fails the content lint: "
            + ", ".join(sorted({f"{f.category.value}/{f.rule}" for f in findings})),
            rules=sorted({f.rule for f in findings}),
        )
    return text


def _text(value: object, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | date):
        # Only plain values: an object's str() could run arbitrary code or leak fields.
        raise InputError(f"placeholder {name}: unsupported value type {type(value).__name__}",
                         field=name)
    return value.isoformat() if isinstance(value, date) else str(value)


def _escape(text: str, channel: str | None) -> str:
    text = _CONTROL.sub("", text)
    # A value must not open a new placeholder in a later pass, nor break out of its line.
    text = text.replace("{", "(").replace("}", ")")
    if channel == "email":
        return html.escape(text, quote=True)
    if channel in ("sms", "app_push"):
        return " ".join(text.split())
    return text
