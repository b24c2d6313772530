"""Deal logs from records a database driver returns: Decimal amounts, NaN and signalling NaN.

``Decimal('sNaN')`` raised a raw ``decimal.InvalidOperation`` from the blank check
(a signalling NaN refuses comparison); it is now a blank like ``Decimal('NaN')``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesfunnel import DealLog, FunnelDataError, Pipeline, closed_funnel

P = Pipeline(["Lead", "Meeting"], won="Won", lost="Lost")


def _log(first_amount: object, last_amount: object) -> DealLog:
    rows = [
        {"deal": "a", "stage": "Lead", "time": "2024-01-01", "amount": first_amount},
        {"deal": "a", "stage": "Won", "time": "2024-01-05", "amount": last_amount},
        {"deal": "b", "stage": "Lead", "time": "2024-01-02", "amount": Decimal("100.25")},
        {"deal": "b", "stage": "Lost", "time": "2024-01-03", "amount": Decimal("100.25")},
    ]
    return DealLog.from_records(rows, P, amount="amount")


@pytest.mark.parametrize("blank", [Decimal("NaN"), Decimal("sNaN"), None])
def test_decimal_nans_are_blank_amounts(blank: Decimal | None) -> None:
    # Deal a's amount is its last known one; with both blank it is unknown.
    assert closed_funnel(_log(Decimal("19.99"), blank)).funnel.amounts[0] == pytest.approx(120.24)
    unknown = closed_funnel(_log(blank, blank))
    assert unknown.amount_unknown == 1
    assert unknown.funnel.amounts[0] == 100.25


@pytest.mark.parametrize("bad", [Decimal("-1"), Decimal("Infinity"), Decimal("1E+400")])
def test_decimal_amounts_that_are_not_amounts_are_refused(bad: Decimal) -> None:
    with pytest.raises(FunnelDataError, match="row 0, column 'amount'"):
        _log(bad, Decimal(5))
