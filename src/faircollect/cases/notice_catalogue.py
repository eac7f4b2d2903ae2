"""The notice catalogue: which approved template carries each case notice, per language.

Pure data (`cases/notices.yaml`): per notice kind, jurisdiction, locale and channel, a
template id; and the words a placeholder takes per locale (a resolution's `{outcome}`).
Playbook validation checks it covers every locale each pack serves; `cases.notices` sends
from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from faircollect.errors import ConfigError

CATALOGUE_FILE = "notices.yaml"


@dataclass(frozen=True)
class NoticeCatalogue:
    """Which template carries each notice, and the words placeholders take, per locale."""

    version: str
    # kind -> jurisdiction -> locale -> channel -> template id
    kinds: Mapping[str, Mapping[str, Mapping[str, Mapping[str, str]]]]
    # placeholder -> locale -> value -> words
    words: Mapping[str, Mapping[str, Mapping[str, str]]]

    def template_id(self, kind: str, jurisdiction: str, locale: str, channel: str) -> str | None:
        """The template for one notice, or None when the catalogue has none."""
        return self.kinds.get(kind, {}).get(jurisdiction, {}).get(locale, {}).get(channel)

    def entries(self) -> Iterator[tuple[str, str, str, str, str]]:
        """Every (kind, jurisdiction, locale, channel, template id)."""
        for kind, by_jur in self.kinds.items():
            for jur, by_locale in by_jur.items():
                for locale, by_channel in by_locale.items():
                    for channel, tid in by_channel.items():
                        yield kind, jur, locale, channel, tid


def parse_catalogue(text: str, where: str = CATALOGUE_FILE) -> NoticeCatalogue:
    """Read a notice catalogue's YAML (see `cases/notices.yaml`); ConfigError when malformed."""
    doc = yaml.safe_load(text)
    try:
        kinds = {str(k): {str(j): {str(loc): {str(ch): str(t) for ch, t in chans.items()}
                                   for loc, chans in locs.items()}
                          for j, locs in jurs.items()}
                 for k, jurs in doc["kinds"].items()}
        words = {str(p): {str(loc): {str(v): str(w) for v, w in vals.items()}
                          for loc, vals in locs.items()}
                 for p, locs in (doc.get("words") or {}).items()}
        return NoticeCatalogue(str(doc["version"]), kinds, words)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"notice catalogue {where}: malformed ({exc})", file=where) from None


@lru_cache(maxsize=1)
def notice_catalogue() -> NoticeCatalogue:
    """The shipped catalogue (`cases/notices.yaml`)."""
    text = resources.files("faircollect.cases").joinpath(CATALOGUE_FILE).read_text("utf-8")
    return parse_catalogue(text)
