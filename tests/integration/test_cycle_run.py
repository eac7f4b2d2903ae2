"""The daily cycle against a real store (SQLite and PostgreSQL): resumable, audited, refusing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from faircollect.cycle import cycle_playbooks, idempotency_key, run_cycle, run_range
from faircollect.demo import approve_starter_library
from faircollect.errors import ConfigError, InputError
from faircollect.portfolio.generator import generate_portfolio
from faircollect.portfolio.importer import import_portfolio
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.cycle import planned_attempts
from faircollect.store.tables.dispatch import outbox

AS_OF = date(2026, 3, 1)


@pytest.fixture
def seeded(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    generate_portfolio(tmp_path / "pf", borrowers=400, seed=11, as_of=AS_OF)
    import_portfolio(app, tmp_path / "pf", actor="test")
    approve_starter_library(app)
    return app


def _counts(app) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with app.store.read() as conn:
        return (conn.execute(select(func.count()).select_from(planned_attempts)).scalar_one(),
                conn.execute(select(func.count()).select_from(outbox)).scalar_one(),
                conn.execute(select(func.count()).select_from(audit_entries)).scalar_one())


def test_a_day_plans_decides_and_enqueues_once(seeded) -> None:  # type: ignore[no-untyped-def]
    first = run_cycle(seeded, date(2026, 3, 2))
    assert first.attempts > 20 and first.allowed > 0 and first.enqueued == first.allowed
    counts = _counts(seeded)
    with seeded.store.read() as conn:
        rows = conn.execute(select(planned_attempts)).all()
        queued = {r.idempotency_key for r in conn.execute(select(outbox.c.idempotency_key))}
    assert all(r.pack_id in {"cn-2026.1", "us-2026.2", "uk-2026.2"} for r in rows)
    for r in rows:
        key = idempotency_key(r.business_date, r.borrower_id, r.step_id, r.contact_id,
                              r.replan_of is not None)
        assert r.idempotency_key == key
        assert (key in queued) == r.allowed  # allowed ones are queued, denied ones never
        if not r.allowed:
            assert r.rules and r.categories
    second = run_cycle(seeded, date(2026, 3, 2))
    assert second.attempts == 0 and second.skipped > 0
    assert _counts(seeded)[:2] == counts[:2]


def test_a_crash_mid_day_resumes_without_duplicates(seeded) -> None:  # type: ignore[no-untyped-def]
    from faircollect.cycle import CycleOptions

    # A first run that writes only its first batch, as if the process died after it.
    class Crash(Exception):
        pass

    import faircollect.cycle as cycle

    real = cycle._write_batch
    calls = {"n": 0}

    def once(*args, **kwargs):  # type: ignore[no-untyped-def]
        if calls["n"]:
            raise Crash
        calls["n"] += 1
        return real(*args, **kwargs)

    cycle._write_batch = once
    try:
        with pytest.raises(Crash):
            run_cycle(seeded, date(2026, 3, 2), options=CycleOptions(batch=50))
    finally:
        cycle._write_batch = real
    partial = _counts(seeded)[0]
    assert partial > 0
    run_cycle(seeded, date(2026, 3, 2), options=CycleOptions(batch=50))
    with seeded.store.read() as conn:
        keys = [r[0] for r in conn.execute(select(planned_attempts.c.idempotency_key))]
    assert len(keys) == len(set(keys)) > partial


def test_a_date_before_the_portfolio_changes_nothing(seeded) -> None:  # type: ignore[no-untyped-def]
    before = _counts(seeded)
    with pytest.raises(InputError, match="before the portfolio begins"):
        run_cycle(seeded, date(2020, 1, 1))
    with pytest.raises(InputError, match="before the portfolio begins"):
        run_range(seeded, date(2020, 1, 1), date(2026, 3, 3))
    assert _counts(seeded) == before


def test_a_broken_playbook_changes_nothing(seeded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "books"
    folder.mkdir()
    source = Path(__file__).parents[2] / "src/faircollect/strategy/playbooks/uk-standard.yaml"
    (folder / "uk.yaml").write_text(source.read_text("utf-8").replace(
        "template: uk-early-sms", "template: uk-missing"), "utf-8")
    before = _counts(seeded)
    with pytest.raises(ConfigError, match="unknown template 'uk-missing'"):
        run_cycle(seeded, date(2026, 3, 2), books=cycle_playbooks(seeded, folder))
    assert _counts(seeded) == before


def test_templates_not_approved_in_the_registry_are_refused(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from faircollect.content.registry import TemplateRegistry
    from faircollect.content.starter import starter_templates
    from faircollect.content.template import Actor

    generate_portfolio(tmp_path / "pf", borrowers=50, seed=11, as_of=AS_OF)
    import_portfolio(app, tmp_path / "pf", actor="test")
    before = _counts(app)
    with pytest.raises(ConfigError, match="not in the template registry"):
        run_cycle(app, date(2026, 3, 2))  # an empty registry: nothing may be sent
    author = Actor("author")
    registry = TemplateRegistry(app.store)
    for draft in starter_templates():
        registry.add(author, draft)
        registry.submit(author, draft.template_id)  # in review, never approved
    with pytest.raises(ConfigError, match="has no approved version"):
        run_cycle(app, date(2026, 3, 2))
    after = _counts(app)
    assert after[:2] == before[:2]
