"""The cycle's templates from the content registry (HOUSE-TEMPLATES: only approved ones are sent).

`RegistrySource` reads the registry once (one query) and serves, per template id, its
approved version. An id the registry knows but has not approved (a draft, one in review, a
retired one) is served with `approved=False`, so playbook validation can say so and the
decision point would deny it; an id it does not know is None ("unknown template").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from faircollect.content.registry import TemplateRegistry
from faircollect.content.template import State, Template
from faircollect.store.unit_of_work import Store
from faircollect.strategy.messages import MessageTemplate


@dataclass(frozen=True)
class RegistrySource:
    """A snapshot of the registry: approved versions by id (see the module docstring)."""

    templates: dict[str, MessageTemplate]
    version: str

    @classmethod
    def load(cls, store: Store) -> RegistrySource:
        """Read every template version once; keep the approved one (or the newest, unapproved)."""
        best: dict[str, Template] = {}
        for t in TemplateRegistry(store).list():
            have = best.get(t.template_id)
            if have is None or have.state != State.APPROVED:
                best[t.template_id] = t  # ordered by version: the newest wins unless approved
        out = {tid: _message(t) for tid, t in best.items()}
        signature = "\n".join(f"{tid}@{m.version}:{int(m.approved)}:{best[tid].body_sha256}"
                              for tid, m in sorted(out.items()))
        digest = hashlib.sha256(signature.encode()).hexdigest()[:16]
        return cls(out, f"registry:{digest}")

    def get(self, template_id: str) -> MessageTemplate | None:
        """The approved version of `template_id` (approved=False when none is approved)."""
        return self.templates.get(template_id)


def _message(t: Template) -> MessageTemplate:
    return MessageTemplate(
        id=t.template_id, jurisdiction=t.jurisdiction or "", locale=t.locale,
        channel=t.channel or "", audience=t.audience, purpose=t.purpose,
        approved=t.state == State.APPROVED, body=t.body, version=t.version)
