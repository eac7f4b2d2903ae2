"""Hardship pauses: no collection until an end date, flagged `hardship_pause`.

The flag stays on the borrower record; `case_state` drops it once every pause has ended,
so a pause lapses on its own without a job to clear it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import insert

from faircollect.cases.borrower import load_borrower, new_id, write_flags
from faircollect.errors import InputError
from faircollect.store.tables.cases import hardship_pauses
from faircollect.store.unit_of_work import UnitOfWork

MAX_PAUSE_DAYS: Final = 366
REASONS: Final[tuple[str, ...]] = (
    "income_loss",
    "illness",
    "bereavement",
    "disaster",
    "care_duties",
    "other",
)


def pause_for_hardship(
    uow: UnitOfWork,
    *,
    borrower_id: str,
    until: date,
    reason: str,
    today: date,
    now: datetime,
) -> str:
    """Pause collection for the borrower from `today` to `until` (inclusive)."""
    borrower = load_borrower(uow.conn, borrower_id, lock=True)
    if reason not in REASONS:
        raise InputError(f"reason: must be one of {', '.join(REASONS)}", field="reason")
    if until <= today:
        raise InputError("until: the pause must end after today", field="until")
    if until > today + timedelta(days=MAX_PAUSE_DAYS):
        raise InputError(f"until: a pause may last at most {MAX_PAUSE_DAYS} days", field="until")
    pause_id = new_id("hp")
    uow.conn.execute(
        insert(hardship_pauses).values(
            pause_id=pause_id,
            borrower_id=borrower_id,
            starts_on=today,
            ends_on=until,
            reason=reason,
            created_at=now,
        )
    )
    write_flags(uow.conn, borrower_id, now, flags=(*borrower.flags, "hardship_pause"))
    uow.audit(
        "case.hardship",
        f"borrower:{borrower_id}",
        {"pause_id": pause_id, "until": until.isoformat(), "reason": reason},
    )
    return pause_id
