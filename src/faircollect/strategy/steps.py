"""Playbooks flattened into frames the planner joins against: stages, steps and rounds."""

from __future__ import annotations

import polars as pl

from faircollect.strategy.library import PlaybookSet
from faircollect.strategy.messages import locale_templates, locale_texts

STAGE_SCHEMA = {
    "playbook_id": pl.String, "stage": pl.String, "stage_index": pl.Int32,
    "dpd_from": pl.Int32, "dpd_to": pl.Int32, "announce": pl.String,
    "next_stage": pl.String, "next_from": pl.Int32, "next_announce": pl.String,
    "notice_days": pl.Int32,
}
STEP_SCHEMA = {
    "playbook_id": pl.String, "stage": pl.String, "step_id": pl.String, "priority": pl.Int32,
    "channel": pl.String, "template_id": pl.String, "audience": pl.String,
    "purpose": pl.String, "hours_start": pl.Int32, "hours_end": pl.Int32,
    "every_days": pl.Int32, "max_attempts": pl.Int32, "after_days": pl.Int32,
    "escalation": pl.String, "announce": pl.String, "valid_days": pl.Int32,
}


def stage_frame(books: PlaybookSet) -> pl.DataFrame:
    """One row per (playbook, stage), with the stage that follows it."""
    rows = []
    for book in books.playbooks.values():
        for i, s in enumerate(book.stages):
            nxt = book.stages[i + 1] if i + 1 < len(book.stages) else None
            rows.append((book.id, s.name, i, s.dpd_from, s.dpd_to, s.announce,
                         nxt.name if nxt else None, nxt.dpd_from if nxt else None,
                         nxt.announce if nxt else None, book.notice_days))
    return pl.DataFrame(rows, schema=STAGE_SCHEMA, orient="row")


def step_frame(books: PlaybookSet) -> pl.DataFrame:
    """One row per step, in priority (file) order within its stage."""
    rows = []
    for book in books.playbooks.values():
        for s in book.stages:
            for i, st in enumerate(s.steps):
                tpl = books.templates.get(st.template)
                purpose = st.purpose or (tpl.purpose if tpl else None)
                rows.append((book.id, s.name, st.id, i, st.channel, st.template, st.audience,
                             purpose, st.hours.start, st.hours.end, st.every_days,
                             st.max_attempts, st.after_days, st.escalation, st.announce,
                             st.valid_days))
    return pl.DataFrame(rows, schema=STEP_SCHEMA, orient="row")


def notice_frame(books: PlaybookSet) -> pl.DataFrame:
    """Per playbook: the notice template, channel and hours."""
    rows = [(b.id, b.notice.template, b.notice.channel, b.notice.hours.start, b.notice.hours.end)
            for b in books.playbooks.values()]
    return pl.DataFrame(rows, schema={
        "playbook_id": pl.String, "template_id": pl.String, "channel": pl.String,
        "hours_start": pl.Int32, "hours_end": pl.Int32}, orient="row")


def _locales(books: PlaybookSet, jurisdiction: str) -> tuple[str, ...]:
    pack = books.packs.get(jurisdiction)
    return pack.locales if pack is not None else ()


def step_template_frame(books: PlaybookSet) -> pl.DataFrame:
    """Per step and locale, the template the step sends a borrower of that locale.

    A (step, locale) pair absent here has no template: the planner sends nothing then,
    never another locale's template.
    """
    rows = []
    for book in books.playbooks.values():
        for _, st in book.steps():
            for locale, tid in locale_templates(st.template, st.templates,
                                                books.templates).items():
                rows.append((book.id, st.id, locale, tid))
    return pl.DataFrame(rows, schema={"playbook_id": pl.String, "step_id": pl.String,
                                      "locale": pl.String, "template_id": pl.String},
                        orient="row")


def notice_template_frame(books: PlaybookSet) -> pl.DataFrame:
    """Per playbook and locale, the round notice's template."""
    rows = [(b.id, locale, tid) for b in books.playbooks.values()
            for locale, tid in locale_templates(b.notice.template, b.notice.templates,
                                                books.templates).items()]
    return pl.DataFrame(rows, schema={"playbook_id": pl.String, "locale": pl.String,
                                      "template_id": pl.String}, orient="row")


def announce_frame(books: PlaybookSet) -> pl.DataFrame:
    """Per playbook, round (a stage name or an escalation step id) and locale: the words
    the round notice's `{next_step}` takes."""
    rows = []
    for b in books.playbooks.values():
        locales = _locales(books, b.jurisdiction)
        rounds = [(s.name, s.announce, s.announces) for s in b.stages]
        rounds += [(st.id, st.announce, st.announces) for _, st in b.steps()]
        for name, text, pairs in rounds:
            for locale, words in locale_texts(text, pairs, locales).items():
                rows.append((b.id, name, locale, words))
    return pl.DataFrame(rows, schema={"playbook_id": pl.String, "round": pl.String,
                                      "locale": pl.String, "next_step": pl.String},
                        orient="row")
