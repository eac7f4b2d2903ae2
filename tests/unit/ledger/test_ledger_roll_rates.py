from datetime import date

import polars as pl
import pytest

from faircollect.errors import InputError
from faircollect.ledger import LoanStatus, Money, roll_rate_matrix, roll_rates


def status(bucket: str, balance: int, currency: str = "USD") -> LoanStatus:
    zero = Money(0, currency)
    return LoanStatus(
        outstanding_principal=Money(balance, currency),
        overdue_amount=zero,
        paid_to_date=zero,
        unallocated=zero,
        days_past_due=0,
        bucket=bucket,
        next_due_on=date(2024, 1, 1),
        installments_overdue=0,
    )


BEFORE = {
    "a": status("M0", 100),
    "b": status("M0", 300),
    "c": status("M1", 1000),
    "d": status("M1", 500),
    "gone": status("M2", 999),  # not in the second snapshot: ignored
}
AFTER = {
    "a": status("M0", 0),
    "b": status("M1", 0),
    "c": status("M2", 0),
    "d": status("M0", 0),
    "new": status("M0", 0),  # not in the first snapshot: ignored
}


def test_matrix_by_accounts_and_by_balance() -> None:
    rates = roll_rate_matrix(BEFORE, AFTER)
    assert rates.account_share("M0", "M0") == 0.5
    assert rates.account_share("M0", "M1") == 0.5
    # By balance, weighted by the first date's balance: 300 of 400 rolled from M0 to M1.
    assert rates.balance_share("M0", "M1") == 0.75
    assert rates.balance_share("M1", "M2") == 1000 / 1500
    assert rates.balance_share("M1", "M0") == 500 / 1500
    assert rates.account_share("M1", "M3") == 0
    # No loan was in M2 on both dates: no rate at all rather than 0.
    assert rates.account_share("M2", "M2") is None
    assert sum(map(sum, rates.accounts)) == 4


def test_unknown_bucket_and_mixed_currencies_are_refused() -> None:
    rates = roll_rate_matrix(BEFORE, AFTER)
    with pytest.raises(InputError):
        rates.account_share("M9", "M0")
    with pytest.raises(InputError, match="currenc"):
        roll_rate_matrix({"a": status("M0", 1), "b": status("M0", 1, "EUR")}, AFTER)


def frame(states: dict[str, LoanStatus]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "loan_id": list(states),
            "currency": [s.outstanding_principal.currency for s in states.values()],
            "outstanding_principal": [s.outstanding_principal.minor for s in states.values()],
            "bucket": [s.bucket for s in states.values()],
        }
    )


def test_frame_roll_rates_match_the_scalar_matrix() -> None:
    result = roll_rates(frame(BEFORE), frame(AFTER))
    expected = roll_rate_matrix(BEFORE, AFTER).rows()
    got = result.with_columns(pl.col("from_bucket", "to_bucket").cast(pl.String)).to_dicts()
    assert got == expected
    assert result.height == 36  # every pair present, zeros included


def test_frame_roll_rates_keep_currencies_apart() -> None:
    first = pl.DataFrame(
        {
            "loan_id": ["u", "e"],
            "currency": ["USD", "EUR"],
            "outstanding_principal": [100, 900],
            "bucket": ["M1", "M1"],
        }
    )
    second = first.with_columns(bucket=pl.Series(["M2", "M0"]))
    result = roll_rates(first, second).filter(pl.col("accounts") > 0)
    rows = {(r["currency"], r["to_bucket"]): r["balance_share"] for r in result.to_dicts()}
    assert rows == {("EUR", "M0"): 1.0, ("USD", "M2"): 1.0}


def test_frame_roll_rates_need_the_snapshot_columns() -> None:
    with pytest.raises(InputError, match="bucket"):
        roll_rates(pl.DataFrame({"loan_id": ["a"]}), frame(AFTER))
