"""Step filters compare numbers as numbers whatever their Python type, and refuse what is not a value.

Before, only ``int`` and ``float`` counted as numbers: a filter ``(">", np.int64(100))``
(what a value read from a numpy array or a DataFrame is) compared the property as
*text*, so "99" > "100" held and a unit buying at 99 passed a "price over 100" step:
a silently wrong count. ``Decimal``, ``Fraction`` and ``np.float32`` did the same.
``("in", [99])`` compared texts too ("99.0" did not match 99). A bare value instead
of ``(op, value)`` raised a raw TypeError from the step's label, a NaN matched
nothing, and ``None`` or a date were compared as their text.
"""

from __future__ import annotations

import datetime as dt
import fractions
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, strategies as st

from salesfunnel import EventLog, FunnelDataError, event_funnel

DAY = dt.timedelta(days=1)


def _log(prices: list[str]) -> EventLog:
    """Unit k views, then buys at ``prices[k]`` (text, as a CSV cell) a minute later."""
    rows = []
    for k, price in enumerate(prices):
        rows.append({"u": k, "e": "view", "t": "2024-01-01T10:00:00", "price": ""})
        rows.append({"u": k, "e": "buy", "t": "2024-01-01T10:01:00", "price": price})
    return EventLog.from_records(rows, entity="u", event="e", time="t", properties=["price"])


NUMBERS = [100, 100.0, np.int64(100), np.int32(100), np.float32(100), np.float64(100),
           Decimal(100), fractions.Fraction(100)]  # fmt: skip


@pytest.mark.parametrize("hundred", NUMBERS, ids=lambda v: type(v).__name__)
def test_a_number_of_any_type_compares_as_a_number(hundred: object) -> None:
    log = _log(["99", "150", "100", "100.0", "1e3"])
    # By hand: over 100 are 150 and 1e3; at least 100 also 100 and 100.0; equal: 100, 100.0.
    over = event_funnel(log, ["view", ("buy", {"price": (">", hundred)})], window=DAY)
    assert over.counts == (5, 2)
    assert event_funnel(log, ["view", ("buy", {"price": (">=", hundred)})], window=DAY).counts == (
        5,
        4,
    )
    assert event_funnel(log, ["view", ("buy", {"price": ("==", hundred)})], window=DAY).counts == (
        5,
        2,
    )
    within = event_funnel(log, ["view", ("buy", {"price": ("in", [hundred, 99])})], window=DAY)
    assert within.counts == (5, 3)


def test_in_with_texts_compares_texts() -> None:
    log = _log(["99", "99.0", "x"])
    assert event_funnel(
        log, ["view", ("buy", {"price": ("in", ["99", "x"])})], window=DAY
    ).counts == (3, 2)


@pytest.mark.parametrize(
    ("cond", "message"),
    [
        (99, r"a filter must be \(op, value\)"),
        ("99", r"a filter must be \(op, value\)"),  # not unpacked as op '9', value '9'
        ((">", float("nan")), "compares with a number or a text"),
        (("==", None), "compares with a number or a text"),
        ((">", dt.date(2024, 1, 1)), "compares with a number or a text"),
        (("in", [99, "x"]), "mixes numbers and texts"),
        (("in", [float("nan")]), "compares with a number or a text"),
        (("in", "99"), "'in' needs a collection"),
        (("~", 1), "unknown operator"),
    ],
)
def test_a_bad_filter_is_refused_before_anything_is_counted(cond: object, message: str) -> None:
    with pytest.raises(FunnelDataError, match=message):
        event_funnel(_log(["99"]), ["view", ("buy", {"price": cond})], window=DAY)


def test_labels_show_the_value_as_written() -> None:
    log = _log(["150"])
    f = event_funnel(log, ["view", ("buy", {"price": (">", 100)})], window=DAY)
    assert f.funnel.names == ("view", "buy[price>100]")
    g = event_funnel(log, ["view", ("buy", {"price": (">", np.int64(100))})], window=DAY)
    assert g.funnel.names == ("view", "buy[price>100.0]")  # numpy's repr would be np.int64(100)


@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=8), st.integers(-1000, 1000))
def test_numpy_and_python_thresholds_agree_with_plain_arithmetic(
    prices: list[int], cut: int
) -> None:
    log = _log([str(p) for p in prices])
    expected = sum(p > cut for p in prices)
    for threshold in (cut, np.int64(cut), Decimal(cut), float(cut)):
        f = event_funnel(log, ["view", ("buy", {"price": (">", threshold)})], window=DAY)
        assert f.counts == (len(prices), expected)
