"""Message templates the playbooks name: the seam to the template registry, and a starter set.

A playbook names templates by id; the planner needs each one's channel, audience, purpose,
locale and body (the decision point lints the body). `TemplateSource` is the seam: the
bundled starter library implements it, and a registry of approved templates can too.
Rendering fills only the known safe placeholders; a body naming any other field is refused.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

import yaml

from faircollect.errors import ConfigError, InputError

PLACEHOLDERS: frozenset[str] = frozenset(
    {"amount", "due_date", "dpd_days", "lender", "phone", "next_step"}
)
_KINDS = ("message", "notice")


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """An approved message template as the planner sees it."""

    id: str
    jurisdiction: str
    locale: str
    channel: str
    audience: str
    purpose: str
    kind: str
    approved: bool
    body: str = field(repr=False)


class TemplateSource(Protocol):
    """Where templates come from: the starter library, or the approved-template registry."""

    @property
    def version(self) -> str:
        """The version of the templates as a whole (recorded with a run)."""
        ...

    def get(self, template_id: str) -> MessageTemplate | None:
        """The template called `template_id`, or None when there is none."""
        ...


@dataclass(frozen=True)
class TemplateLibrary:
    """Templates held in memory (the bundled starter library, or one a test builds)."""

    version: str
    templates: Mapping[str, MessageTemplate]

    def get(self, template_id: str) -> MessageTemplate | None:
        return self.templates.get(template_id)


def _placeholders(body: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(body) if name is not None}
    except ValueError:
        return {"<malformed>"}


def parse_library(text: str, where: str) -> TemplateLibrary:
    """Validate a YAML template library; ConfigError names the file and template."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"templates {where}: not valid YAML ({type(exc).__name__})",
                          file=where) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("templates"), list):
        raise ConfigError(f"templates {where}: needs a list `templates`", file=where)
    out: dict[str, MessageTemplate] = {}
    for raw in doc["templates"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise ConfigError(f"templates {where}: each template needs an id", file=where)
        tid = raw["id"]
        try:
            tpl = MessageTemplate(
                id=tid, jurisdiction=str(raw["jurisdiction"]), locale=str(raw["locale"]),
                channel=str(raw["channel"]), audience=str(raw["audience"]),
                purpose=str(raw["purpose"]), kind=str(raw.get("kind", "message")),
                approved=bool(raw.get("approved", True)), body=str(raw["body"]),
            )
        except KeyError as exc:
            raise ConfigError(f"templates {where}: template {tid} lacks {exc.args[0]}",
                              file=where) from None
        bad = _placeholders(tpl.body) - PLACEHOLDERS
        if bad:
            raise ConfigError(f"templates {where}: template {tid} uses unknown placeholders "
                              f"{sorted(bad)}", file=where)
        if tpl.kind not in _KINDS:
            raise ConfigError(f"templates {where}: template {tid} kind must be one of {_KINDS}",
                              file=where)
        if tid in out:
            raise ConfigError(f"templates {where}: template id {tid} appears twice", file=where)
        out[tid] = tpl
    return TemplateLibrary(version=str(doc.get("version") or where), templates=out)


@lru_cache(maxsize=1)
def starter_library() -> TemplateLibrary:
    """The bundled starter templates the shipped playbooks use."""
    text = resources.files("faircollect.strategy").joinpath("messages", "starter.yaml")
    return parse_library(text.read_text("utf-8"), "starter.yaml")


def render(template: MessageTemplate, values: Mapping[str, Any]) -> str:
    """The body with its placeholders filled; InputError when a value is missing."""
    try:
        return template.body.format_map({k: values[k] for k in _placeholders(template.body)})
    except KeyError as exc:
        raise InputError(f"template {template.id}: no value for {exc.args[0]}",
                         field="template") from None
