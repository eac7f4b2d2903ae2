"""The playbook set in force: every playbook validated against its pack, and which applies.

One champion per (jurisdiction, segment); a challenger names its champion and takes a stable
share of the champion's accounts. Loading refuses the whole set when any playbook is
broken, so a cycle never runs half a strategy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from faircollect.errors import ConfigError
from faircollect.policy.pack import Pack, resolve_pack
from faircollect.strategy.messages import TemplateSource
from faircollect.strategy.playbook import Playbook, parse_playbook, read_playbook
from faircollect.strategy.validation import validate, validate_notices

DEFAULT_SEGMENT = "standard"


@dataclass(frozen=True)
class PlaybookSet:
    """Validated playbooks with their packs and templates."""

    playbooks: Mapping[str, Playbook]
    packs: Mapping[str, Pack]  # by jurisdiction
    templates: TemplateSource

    def champion(self, jurisdiction: str, segment: str) -> Playbook | None:
        """The champion for a jurisdiction and segment, falling back to the standard one."""
        for seg in (segment, DEFAULT_SEGMENT):
            for book in self.playbooks.values():
                if (book.jurisdiction, book.segment, book.experiment) == (jurisdiction, seg, None):
                    return book
        return None

    def challengers(self, champion_id: str) -> list[Playbook]:
        """Playbooks running as challengers of `champion_id`."""
        return [b for b in self.playbooks.values()
                if b.experiment is not None and b.experiment.champion == champion_id]

    @property
    def version(self) -> str:
        """Every playbook id, for the audit record of a run."""
        return ",".join(sorted(self.playbooks))

    @property
    def packs_by_id(self) -> dict[str, Pack]:
        """The packs in force, by pack id (e.g. `cn-2026.1`)."""
        return {p.id: p for p in self.packs.values()}


def shipped_playbooks() -> list[Playbook]:
    """The shipped playbooks as parsed, not yet validated against packs and templates."""
    folder = resources.files("faircollect.strategy").joinpath("playbooks")
    return [parse_playbook(f.read_text("utf-8"), f.name)
            for f in sorted(folder.iterdir(), key=lambda p: p.name) if f.name.endswith(".yaml")]


def build_set(books: list[Playbook], templates: TemplateSource) -> PlaybookSet:
    """Validate `books` together against `templates`; ConfigError on the first broken one."""
    source = templates
    by_id: dict[str, Playbook] = {}
    packs: dict[str, Pack] = {}
    for book in books:
        if book.id in by_id:
            raise ConfigError(f"playbook {book.source}: id {book.id} is used twice",
                              file=book.source)
        try:
            pack = packs.setdefault(book.jurisdiction, resolve_pack(book.jurisdiction))
        except ConfigError:
            raise
        except Exception as exc:  # an unknown jurisdiction: no pack can decide for it
            raise ConfigError(f"playbook {book.source}: no rule pack for jurisdiction "
                              f"{book.jurisdiction}", file=book.source) from exc
        validate(book, pack, source)
        by_id[book.id] = book
    for pack in packs.values():  # the case notices each jurisdiction's borrowers may be sent
        validate_notices(pack, source)
    seen: set[tuple[str, str]] = set()
    for book in by_id.values():
        if book.experiment is None:
            key = (book.jurisdiction, book.segment)
            if key in seen:
                raise ConfigError(f"playbook {book.source}: a second champion for "
                                  f"{key[0]}/{key[1]}", file=book.source)
            seen.add(key)
            continue
        champ = by_id.get(book.experiment.champion)
        if champ is None or champ.experiment is not None or (
            champ.jurisdiction, champ.segment) != (book.jurisdiction, book.segment):
            raise ConfigError(f"playbook {book.source}: experiment champion "
                              f"{book.experiment.champion!r} is not a champion for "
                              f"{book.jurisdiction}/{book.segment}", file=book.source)
    for champ_id in {b.experiment.champion for b in by_id.values() if b.experiment}:
        total = sum(b.experiment.share for b in by_id.values()
                    if b.experiment and b.experiment.champion == champ_id)
        if total >= 1:
            raise ConfigError(f"playbooks: challengers of {champ_id} take {total:.0%} of "
                              "its accounts; leave some to the champion")
    return PlaybookSet(by_id, packs, source)


def load_playbooks(templates: TemplateSource, directory: Path | None = None) -> PlaybookSet:
    """The shipped playbooks, or every `*.yaml` in `directory`, validated against `templates`.

    The cycle passes the registry (`RegistrySource`): a step naming a template the registry
    does not hold, or holds unapproved, refuses the whole set.
    """
    if directory is None:
        return build_set(shipped_playbooks(), templates)
    if not directory.is_dir():
        raise ConfigError(f"playbooks: {directory.name} is not a directory", file=str(directory))
    books = [read_playbook(p) for p in sorted(directory.glob("*.yaml"))]
    if not books:
        raise ConfigError(f"playbooks: no *.yaml files in {directory.name}", file=str(directory))
    return build_set(books, templates)


def describe(book: Playbook) -> dict[str, Any]:
    """A playbook as JSON-ready data: id, jurisdiction, segment, stages and their steps."""
    return {
        "id": book.id, "jurisdiction": book.jurisdiction, "segment": book.segment,
        "title": book.title, "notice_days": book.notice_days, "stop_when": list(book.stop_when),
        "experiment": None if book.experiment is None else {
            "name": book.experiment.name, "champion": book.experiment.champion,
            "share": book.experiment.share},
        "stages": [{"name": s.name, "dpd_from": s.dpd_from, "dpd_to": s.dpd_to,
                    "steps": [{"id": st.id, "channel": st.channel, "audience": st.audience,
                               "template": st.template} for st in s.steps]}
                   for s in book.stages],
    }


def check_playbook(text: str, templates: TemplateSource, *, where: str = "playbook") -> Playbook:
    """Parse one playbook and validate it against its jurisdiction's pack and `templates`
    (and the notices that pack requires); ConfigError naming the first problem."""
    book = parse_playbook(text, where)
    build_set([book], templates)
    return book
