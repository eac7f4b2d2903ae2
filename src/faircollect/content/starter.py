"""The starter library: approved-quality templates shipped as data (library/starter.yaml)."""

from __future__ import annotations

from importlib import resources

import yaml

from faircollect.content.template import TemplateDraft
from faircollect.errors import ConfigError


def starter_templates() -> list[TemplateDraft]:
    """Every starter template as a draft, ready to add to the registry for review."""
    text = resources.files("faircollect.content").joinpath("library/starter.yaml").read_text(
        "utf-8")
    try:
        return [
            TemplateDraft(template_id=t["id"], locale=t["locale"], audience=t["audience"],
                          purpose=t["purpose"], body=t["body"], channel=t.get("channel"),
                          jurisdiction=t.get("jurisdiction"))
            for t in yaml.safe_load(text)["templates"]
        ]
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"starter library: {exc}", file="library/starter.yaml") from exc
