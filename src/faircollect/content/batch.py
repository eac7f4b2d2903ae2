"""Linting a JSON Lines file of templates, exactly as spec/template-lint.md describes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from faircollect.content.finding import AUDIENCES, Finding, locale_problem
from faircollect.content.linter import lint
from faircollect.errors import RowError


@dataclass(frozen=True, slots=True)
class LintRequest:
    """One validated input line."""

    id: Any
    locale: str
    audience: str
    channel: str | None
    body: str
    require_opt_out: bool | None


def parse_lines(lines: Iterable[str], *, source: str) -> list[LintRequest]:
    """Validate every line first, so malformed input prints nothing and names its line."""
    out: list[LintRequest] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        out.append(_parse(line, source=source, line=number))
    return out


def results(requests: Iterable[LintRequest]) -> Iterator[dict[str, Any]]:
    """One result object per request, in order: id, compliant, findings."""
    for r in requests:
        findings: list[Finding] = lint(
            r.body, locale=r.locale, audience=r.audience, channel=r.channel,
            require_opt_out=r.require_opt_out,
        )
        yield {"id": r.id, "compliant": not findings, "findings": [f.to_dict() for f in findings]}


def _parse(text: str, *, source: str, line: int) -> LintRequest:
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RowError(f"not valid JSON ({exc.msg})", file=source, line=line) from None
    if not isinstance(obj, dict):
        raise RowError("a line must be a JSON object", file=source, line=line)

    def bad(field: str, why: str) -> RowError:
        return RowError(why, file=source, line=line, column=field)

    if "id" not in obj or not isinstance(obj["id"], str | int) or isinstance(obj["id"], bool):
        raise bad("id", "id is required (a string)")
    locale, audience, body = obj.get("locale"), obj.get("audience"), obj.get("body")
    why = locale_problem(locale)
    if why is not None:
        raise bad("locale", why)
    if audience not in AUDIENCES:
        raise bad("audience", f"audience must be one of {', '.join(AUDIENCES)}")
    if not isinstance(body, str):
        raise bad("body", "body is required (a string)")
    channel = obj.get("channel")
    if channel is not None and not isinstance(channel, str):
        raise bad("channel", "channel must be a string or null")
    require = obj.get("require_opt_out")
    if require is not None and not isinstance(require, bool):
        raise bad("require_opt_out", "require_opt_out must be true, false or null")
    return LintRequest(obj["id"], str(locale), audience, channel, body, require)
