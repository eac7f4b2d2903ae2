"""Refresh the prefilter literal tables shipped beside the lexicons.

    python tools/lexicon_literals.py          # rewrite src/faircollect/content/lexicons/*.literals.json
    python tools/lexicon_literals.py --check  # exit 1 when a table is stale

Each table holds, for one lexicon text (named by its SHA-256), the literals the prefilter
derives for every rule branch; loading a lexicon with a current table skips that derivation.
A stale or missing table is ignored (the literals are derived at load), so this only makes
loading faster; tests/unit/content/test_literal_tables.py fails while a table is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from faircollect.content.finding import LOCALES
from faircollect.content.lexicon import literal_table

FOLDER = Path(__file__).resolve().parents[1] / "src" / "faircollect" / "content" / "lexicons"


def render(locale: str) -> str:
    """The table file's text for a locale's lexicon as it is on disk."""
    table = literal_table((FOLDER / f"{locale}.yaml").read_text("utf-8"))
    rows = ",\n".join(json.dumps(req, ensure_ascii=False) for req in table["requires"])
    return f'{{"lexicon_sha256": "{table["lexicon_sha256"]}",\n"requires": [\n{rows}\n]}}\n'  # a branch a line


def main(argv: list[str]) -> int:
    stale = []
    for locale in LOCALES:
        path = FOLDER / f"{locale}.literals.json"
        want = render(locale)
        if not path.is_file() or path.read_text("utf-8") != want:
            stale.append(path.name)
            if "--check" not in argv:
                path.write_text(want, "utf-8")
    if stale:
        print(("stale: " if "--check" in argv else "wrote: ") + ", ".join(stale))
    return 1 if stale and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
