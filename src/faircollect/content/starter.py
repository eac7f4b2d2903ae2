"""The starter library: approved-quality templates shipped as data (`library/*.yaml`).

`starter.yaml` comes first, then every other file of the folder by name (`markets.yaml`: the
IN/NG/PH/KE templates). Files in subfolders (`pending/`) wait for a lexicon and are not read.
"""

from __future__ import annotations

from importlib import resources

import yaml

from faircollect.content.template import TemplateDraft
from faircollect.errors import ConfigError

_FIRST = "starter.yaml"


def _files() -> list[str]:
    folder = resources.files("faircollect.content").joinpath("library")
    names = sorted(f.name for f in folder.iterdir()
                   if f.is_file() and f.name.endswith(".yaml") and f.name != _FIRST)
    return [_FIRST, *names]


def starter_templates() -> list[TemplateDraft]:
    """Every starter template as a draft, ready to add to the registry for review."""
    out: list[TemplateDraft] = []
    seen: set[str] = set()
    for name in _files():
        where = f"library/{name}"
        text = resources.files("faircollect.content").joinpath(where).read_text("utf-8")
        try:
            for t in yaml.safe_load(text)["templates"]:
                if t["id"] in seen:
                    raise ConfigError(f"starter library: template {t['id']} appears twice",
                                      file=where)
                seen.add(t["id"])
                out.append(TemplateDraft(
                    template_id=t["id"], locale=t["locale"], audience=t["audience"],
                    purpose=t["purpose"], body=t["body"], channel=t.get("channel"),
                    jurisdiction=t.get("jurisdiction")))
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"starter library: {exc}", file=where) from exc
    return out
