"""One rule for "a number the caller passed" (``salesfunnel._numbers.real_number``) and its users.

The rule exists because ``isinstance(value, (int, float))`` missed numpy's scalars (a
step filter compared a property as text when given ``np.int64(100)``) and
``np.array([...], float)`` turned ``True`` and ``"0.5"`` into probabilities.
"""

from __future__ import annotations

import fractions
import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, strategies as st

from salesfunnel import DealLog, FunnelDataError, Pipeline, forecast
from salesfunnel._numbers import real_number


@given(st.integers(-(10**400), 10**400))
def test_integers_of_any_size(n: int) -> None:
    try:
        want = float(n)
    except OverflowError:  # beyond the largest float, about 1.8e308: an infinity of n's sign
        want = math.inf if n > 0 else -math.inf
    got = real_number(n)
    assert got == want
    assert real_number(fractions.Fraction(n)) == got
    assert real_number(Decimal(n)) == float(Decimal(n))


@given(st.floats(allow_nan=False))
def test_floats_of_every_width_and_decimals(x: float) -> None:
    assert real_number(x) == x
    assert real_number(np.float64(x)) == x
    assert real_number(Decimal(repr(x))) == x  # the shortest repr reads back exactly


@pytest.mark.parametrize(
    "value", [True, False, np.bool_(True), "0.5", b"1", None, 1 + 2j, [1], object()]
)
def test_what_is_not_a_number(value: object) -> None:
    assert real_number(value) is None


@pytest.mark.parametrize("nan", [float("nan"), np.float32("nan"), Decimal("NaN"), Decimal("sNaN")])
def test_nans_stay_nan(nan: object) -> None:
    got = real_number(nan)
    assert got is not None
    assert math.isnan(got)


P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
ROWS = [("A", "Call", "2024-01-01"), ("A", "Won", "2024-01-10", 100),
        ("C", "Call", "2024-01-05", 40), ("D", "Offer", "2024-01-06", 60)]  # fmt: skip


def _weighted(call: object) -> float:
    recs = [dict(zip(("deal", "stage", "time", "amount"), r, strict=False)) for r in ROWS]
    log = DealLog.from_records(recs, P, amount="amount")
    probabilities = {"Call": call, "Offer": 0.5}
    fc = forecast(log, as_of="2024-01-31", method="weighted", probabilities=probabilities)  # type: ignore[arg-type]
    return fc.expected_won


@pytest.mark.parametrize(
    "quarter", [0.25, np.float32(0.25), Decimal("0.25"), fractions.Fraction(1, 4)]
)
def test_forecast_probabilities_of_any_number_type(quarter: object) -> None:
    # Open deals: C at Call (0.25), D at Offer (0.5): 0.75 expected wins.
    assert _weighted(quarter) == 0.75


@pytest.mark.parametrize(
    "bad", [True, "0.25", None, float("nan"), Decimal("sNaN"), 1.5, -0.1, 10**400]
)
def test_forecast_probabilities_that_are_not_probabilities_are_refused(bad: object) -> None:
    # True was taken as 1.0 and "0.25" as 0.25 (numpy converts both); 10**400 raised OverflowError.
    with pytest.raises(FunnelDataError, match=r"probability of 'Call' must be in \[0, 1\]"):
        _weighted(bad)


def test_planning_takes_every_number_type_and_refuses_an_overflow() -> None:
    from salesfunnel import leads_needed, managers_needed

    # 10 wins at 50 % then 10 %: 10 / 0.1 / 0.5 = 200 leads (Decimal refused before).
    assert leads_needed(Decimal(10), [Decimal("0.5"), fractions.Fraction(1, 10)]).leads == 200
    assert managers_needed(np.int64(600), np.float32(250)) == 3
    with pytest.raises(FunnelDataError, match="leads must be a finite number >= 0"):
        managers_needed(10**400, 30)  # OverflowError before


@given(
    st.floats(min_value=2.0**53, max_value=1e300)
    | st.floats(max_value=-(2.0**53), min_value=-1e300)
)
def test_large_floats_print_their_own_digits(x: float) -> None:
    """A float of 2**53 or more prints the digits of its shortest repr, then zeros (1e30 is
    1 and 30 zeros), never its binary value's tail (1e30 was ...019,884,624,838,656):
    the text reads back as the same float and has no more significant digits than repr."""
    from salesfunnel._format import fmt_number

    text = fmt_number(x)
    assert float(text.replace(",", "")) == x
    digits = text.replace(",", "").lstrip("-").rstrip("0")
    mantissa = repr(x).lstrip("-").split("e")[0].replace(".", "").strip("0")
    assert len(digits) <= max(len(mantissa), 1)
    assert fmt_number(1e30) == "1," + ",".join(["000"] * 10)
