"""Message templates the playbooks name: the `TemplateSource` seam and safe rendering.

A playbook names templates by id; the planner needs each one's channel, audience, purpose,
locale, body and whether it is approved (the decision point lints the body and, under
HOUSE-TEMPLATES, refuses an unapproved one). The daily cycle reads them from the content
registry (`strategy.registry_source.RegistrySource`: approved versions only). There is one
library, the content engineer's `content/library/starter.yaml`; `library_templates()` reads
it into memory for planning without a database (unit tests, benchmarks).

A template whose body has the `{next_step}` placeholder is a round *notice* (its
`next_step` is the playbook's announcement of what comes next); any other is a *message*.
Rendering goes through the content renderer (`content.rendering.render_checked`): plain
placeholder substitution and a re-lint of the rendered text, so a value can never smuggle
words past the linter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, Protocol

from faircollect.content.rendering import Value, placeholders, render_checked
from faircollect.errors import InputError

NEXT_STEP = "next_step"
# A contact person's one-time link to their page (refuse contact, erase their data); filled
# only in messages to contact persons, each of which must carry it.
OPTOUT_LINK = "optout_link"
# The placeholders the cycle fills (`cycle.message_values`).
PLACEHOLDERS: frozenset[str] = frozenset(
    {"amount", "due_date", "dpd", "company", "hotline", NEXT_STEP, OPTOUT_LINK}
)


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """A template as the planner sees it (`version` 0: not from the registry)."""

    id: str
    jurisdiction: str
    locale: str
    channel: str
    audience: str
    purpose: str
    approved: bool
    body: str = field(repr=False)
    version: int = 0

    @property
    def kind(self) -> str:
        """`notice` when the body announces the next round (`{next_step}`), else `message`."""
        return "notice" if NEXT_STEP in placeholders(self.body) else "message"

    @property
    def placeholders(self) -> frozenset[str]:
        """The placeholder names the body uses."""
        return frozenset(placeholders(self.body))


class TemplateSource(Protocol):
    """Where templates come from: the approved-template registry (or memory, in tests)."""

    @property
    def version(self) -> str:
        """The version of the templates as a whole (recorded with a run)."""
        ...

    def get(self, template_id: str) -> MessageTemplate | None:
        """The template called `template_id`, or None when there is none."""
        ...


def locale_templates(template: str, per_locale: tuple[tuple[str, str], ...],
                     source: TemplateSource) -> dict[str, str]:
    """A step's (or notice's) template id per locale.

    `per_locale` is the playbook's `template: {locale: id}` mapping; a single `template: id`
    serves its own template's locale only (nothing when the source does not hold it). No
    locale ever borrows another's template.
    """
    if per_locale:
        return dict(per_locale)
    tpl = source.get(template)
    return {tpl.locale: template} if tpl is not None else {}


def locale_texts(text: str | None, per_locale: tuple[tuple[str, str], ...],
                 locales: tuple[str, ...]) -> dict[str, str]:
    """A playbook text (an announcement) per locale.

    `per_locale` is the `announce: {locale: text}` mapping; one plain text is taken as
    written in the pack's language only when the pack serves exactly one.
    """
    if per_locale:
        return dict(per_locale)
    return {locales[0]: text} if text and len(locales) == 1 else {}


@dataclass(frozen=True)
class TemplateLibrary:
    """Templates held in memory (the starter library for planning in memory, or a test's)."""

    version: str
    templates: Mapping[str, MessageTemplate]

    def get(self, template_id: str) -> MessageTemplate | None:
        """The template called `template_id`, or None."""
        return self.templates.get(template_id)


@lru_cache(maxsize=2)
def library_templates(approved: bool = True) -> TemplateLibrary:
    """The content starter library in memory, marked `approved` (for planning without a store).

    Only for planning and deciding in memory; the cycle sends nothing that the registry has
    not approved.
    """
    from faircollect.content.starter import starter_templates

    out = {}
    for d in starter_templates():
        out[d.template_id] = MessageTemplate(
            id=d.template_id, jurisdiction=d.jurisdiction or "", locale=d.locale,
            channel=d.channel or "", audience=d.audience, purpose=d.purpose,
            approved=approved, body=d.body)
    return TemplateLibrary(version="library:starter", templates=out)


_RENDERED: dict[tuple[str, int, str, tuple[tuple[str, str], ...]], str] = {}
_RENDER_CACHE = 200_000


# What the linter reads in place of a contact person's link: a link of the same shape. The
# real link's token is random-looking text the system made, never anyone's words, and its
# letters could spell anything ("FcKU6..."), so the lint reads this stand-in and the link is
# put in after, checked to be only a URL of the contact page.
LINK_STAND_IN: Final = "https://faircollect.invalid/contact/" + "0" * 32
_LINK = re.compile(r"https?://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~\-]+)*"
                   r"/contact/[A-Za-z0-9_\-]{32}")


def render(template: MessageTemplate, values: Mapping[str, Value]) -> str:
    """The body with its placeholders filled, re-linted (Conflict when the text fails).

    Only the placeholders the body uses are taken from `values`; a missing one is an
    InputError. Identical renderings are remembered, so a portfolio's many equal texts are
    linted once. `{optout_link}` is linted as `LINK_STAND_IN` and then replaced by the link,
    which must be exactly a contact-page URL (an InputError otherwise).
    """
    link = values.get(OPTOUT_LINK) if OPTOUT_LINK in template.placeholders else None
    if link is not None and link != LINK_STAND_IN:
        if not isinstance(link, str) or _LINK.fullmatch(link) is None:
            raise InputError(f"{OPTOUT_LINK}: not a contact-page link", field=OPTOUT_LINK)
        linted = render(template, {**values, OPTOUT_LINK: LINK_STAND_IN})
        return linted.replace(LINK_STAND_IN, link)
    used = tuple(sorted((k, str(values[k])) for k in template.placeholders if k in values))
    key = (template.id, template.version, template.body, used)
    text = _RENDERED.get(key)
    if text is None:
        text = render_checked(template.body, {k: values[k] for k in template.placeholders
                                              if k in values},
                              locale=template.locale, audience=template.audience,
                              channel=template.channel)
        if len(_RENDERED) >= _RENDER_CACHE:
            _RENDERED.clear()
        _RENDERED[key] = text
    return text
