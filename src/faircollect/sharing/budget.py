"""The epsilon budget ledger: each release spends from its scope's budget, or is refused.

A release reserves its epsilon in the same transaction that computes and records it, after
taking the scope's row lock (an UPDATE, which serialises concurrent releases on PostgreSQL
and SQLite alike), so two releases can never both spend the last of a budget. A refused
release writes nothing and adds no noise to anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from faircollect.errors import Conflict, InputError, NotFound
from faircollect.store.tables.sharing import dp_budgets, dp_releases
from faircollect.store.unit_of_work import Store, UnitOfWork

_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Budget:
    scope: str
    total: float
    spent: float
    releases: int

    @property
    def remaining(self) -> float:
        return max(0.0, self.total - self.spent)


def _scope(scope: str) -> str:
    if not scope or len(scope) > 64 or not scope.replace("-", "").replace("_", "").isalnum():
        raise InputError("a budget scope is 1 to 64 letters, digits, - or _", field="scope")
    return scope


def _load(conn: Connection, scope: str) -> Budget:
    row = conn.execute(select(dp_budgets.c.total_epsilon)
                       .where(dp_budgets.c.scope == scope)).first()
    if row is None:
        raise NotFound(f"no privacy budget for scope {scope!r}; set one with "
                       "`faircollect share dp-budget`", scope=scope)
    spent, n = conn.execute(select(func.coalesce(func.sum(dp_releases.c.epsilon), 0.0),
                                   func.count()).where(dp_releases.c.scope == scope)).one()
    return Budget(scope, float(row.total_epsilon), float(spent), int(n))


def _num(value: float) -> str:
    """An epsilon as the audit log keeps numbers that are not integers: exact text."""
    return repr(float(value))


class BudgetLedger:
    """Budgets per scope and the releases that spend them."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __repr__(self) -> str:
        return "BudgetLedger()"

    def get(self, scope: str) -> Budget:
        with self.store.read() as conn:
            return _load(conn, _scope(scope))

    def set_total(self, *, actor: str, scope: str, total: float) -> Budget:
        """Create a scope's budget or change its total (never below what was spent)."""
        _scope(scope)
        if not 0 < total <= 100:
            raise InputError("a total budget must be above 0 and at most 100",
                             field="epsilon")
        now = self.store.clock()
        with self.store.transaction(actor) as uow:
            changed = uow.conn.execute(update(dp_budgets).where(dp_budgets.c.scope == scope)
                                       .values(updated_at=now)).rowcount
            if not changed:
                uow.conn.execute(insert(dp_budgets).values(
                    scope=scope, total_epsilon=total, created_at=now, updated_at=now))
            before = _load(uow.conn, scope)
            if before.spent > total + _TOLERANCE:
                raise Conflict(f"scope {scope!r} has already spent epsilon {before.spent:g}; "
                               "the total cannot go below it", scope=scope)
            uow.conn.execute(update(dp_budgets).where(dp_budgets.c.scope == scope)
                             .values(total_epsilon=total))
            uow.audit("sharing.dp_budget_set", f"dp:{scope}",
                      {"scope": scope, "total_epsilon": _num(total),
                       "spent": _num(before.spent)})
            return Budget(scope, total, before.spent, before.releases)

    def spend(self, uow: UnitOfWork, *, scope: str, epsilon: float, report: str,
              noise_scale: float, mechanism: str, at: datetime, note: str = "") -> Budget:
        """Within `uow`: lock the scope, refuse past the budget, record the release."""
        _scope(scope)
        locked = uow.conn.execute(update(dp_budgets).where(dp_budgets.c.scope == scope)
                                  .values(updated_at=at)).rowcount
        if not locked:
            _load(uow.conn, scope)  # raises NotFound
        budget = _load(uow.conn, scope)
        if budget.spent + epsilon > budget.total + _TOLERANCE:
            raise Conflict(
                f"privacy budget of scope {scope!r} exhausted: this release needs epsilon "
                f"{epsilon:g}, {budget.remaining:g} of {budget.total:g} is left",
                scope=scope, epsilon=epsilon, remaining=budget.remaining)
        uow.conn.execute(insert(dp_releases).values(
            scope=scope, report=report, epsilon=epsilon, noise_scale=noise_scale,
            mechanism=mechanism, released_at=at, actor=uow.actor, note=note))
        return Budget(scope, budget.total, budget.spent + epsilon, budget.releases + 1)
