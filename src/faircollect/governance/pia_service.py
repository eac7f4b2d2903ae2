"""PIA versions in the store: generated from the shipped data, numbered, kept three years.

`generate` assesses the current data map, purposes catalogue, retention and access policies;
when the result differs from the newest stored version it is kept as the next version
(audited, `pia.generated`), else the newest version is returned unchanged. `prune` removes
only versions whose three years are over (audited); nothing younger can be deleted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import orjson
import yaml
from sqlalchemy import delete, func, insert, select

from faircollect.errors import NotFound
from faircollect.governance.pia import KEEP_YEARS, assess, to_html
from faircollect.store.tables.governance import pia_versions
from faircollect.store.unit_of_work import Store

_p = pia_versions.c


@dataclass(frozen=True, slots=True)
class PiaVersion:
    version: int
    generated_at: datetime
    generated_by: str
    keep_until: datetime
    content_sha256: str
    content: dict[str, Any]

    def html(self) -> str:
        return to_html(self.content, self.version, self.generated_at.isoformat(),
                       self.keep_until.isoformat())

    def pdf(self) -> bytes:
        from faircollect.governance.regulator import to_pdf

        return to_pdf(self.html())

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "generated_at": self.generated_at.isoformat(),
                "generated_by": self.generated_by, "keep_until": self.keep_until.isoformat(),
                "content_sha256": self.content_sha256, "gaps": self.content["gaps"],
                "conclusion": self.content["conclusion"]}


def current_assessment(datamap_text: str | None = None) -> dict[str, Any]:
    """The assessment of the shipped (or given) data map and the shipped policies."""
    from faircollect.access.policy import load_policy
    from faircollect.consent.catalogue import load_catalogue
    from faircollect.retention.policy import load_retention

    text = datamap_text or resources.files("faircollect.governance").joinpath(
        "datamap.yaml").read_text("utf-8")
    datamap = yaml.safe_load(text)
    purposes = [p.model_dump(mode="json") for p in load_catalogue().purposes]
    retention = {k: {j: p.model_dump() for j, p in v.periods.items()}
                 for k, v in load_retention().kinds.items()}
    roles = {r: v.model_dump(mode="json") for r, v in load_policy().roles.items()}
    return assess(datamap, purposes, retention, roles)


def _add_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


def _row(r: Any) -> PiaVersion:
    return PiaVersion(r.version, r.generated_at, r.generated_by, r.keep_until,
                      r.content_sha256, orjson.loads(r.content))


class PiaService:
    """Commands over stored PIA versions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def generate(self, actor: str, datamap_text: str | None = None) -> PiaVersion:
        """Assess now; keep a new version when the assessment changed."""
        content = current_assessment(datamap_text)
        text = orjson.dumps(content, option=orjson.OPT_SORT_KEYS).decode()
        digest = hashlib.sha256(text.encode()).hexdigest()
        now = self.store.clock()
        with self.store.transaction(actor) as uow:
            latest = uow.conn.execute(select(pia_versions).order_by(
                _p.version.desc()).limit(1)).first()
            if latest is not None and latest.content_sha256 == digest:
                return _row(latest)
            number = 1 if latest is None else latest.version + 1
            keep = _add_years(now, KEEP_YEARS)
            uow.conn.execute(insert(pia_versions).values(
                version=number, generated_at=now, generated_by=actor, keep_until=keep,
                content_sha256=digest, content=text))
            uow.audit("pia.generated", f"pia:{number}", {
                "content_sha256": digest, "keep_until": keep.isoformat(),
                "gaps": len(content["gaps"])})
            row = uow.conn.execute(select(pia_versions).where(_p.version == number)).one()
            return _row(row)

    def get(self, version: int | None = None) -> PiaVersion:
        """A stored version (default: the newest)."""
        q = select(pia_versions)
        q = q.where(_p.version == version) if version is not None else q.order_by(
            _p.version.desc()).limit(1)
        with self.store.read() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound("no PIA version" + (f" {version}" if version else "; generate one"),
                           version=version)
        return _row(row)

    def list(self) -> list[PiaVersion]:
        with self.store.read() as conn:
            return [_row(r) for r in conn.execute(select(pia_versions).order_by(_p.version))]

    def prune(self, actor: str) -> int:
        """Delete the versions whose three years are over; returns how many."""
        now = self.store.clock()
        with self.store.transaction(actor) as uow:
            n = int(uow.conn.execute(select(func.count()).select_from(pia_versions).where(
                _p.keep_until < now)).scalar_one())
            if n:
                uow.conn.execute(delete(pia_versions).where(_p.keep_until < now))
                uow.audit("pia.pruned", "pia", {"deleted": n})
            return n
