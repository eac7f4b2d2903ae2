"""The labelled corpus (tests/unit/content/corpus/*.yaml), loaded for the content tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).parent / "corpus"
AUDIENCE = {"b": "borrower", "d": "designated_contact", "t": "third_party"}


def load_corpus() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for locale in ("zh-CN", "en"):
        for i, row in enumerate(yaml.safe_load((CORPUS / f"{locale}.yaml").read_text("utf-8"))):
            rows.append({"id": f"{locale}-{i}", "locale": locale, "audience": AUDIENCE[row["a"]],
                         "channel": row.get("c"), "body": row["b"], "expect": set(row["e"])})
    return rows
