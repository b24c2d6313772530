from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, strategies as st

from salesfunnel import (
    Funnel,
    FunnelDataError,
    SalesFunnelError,
    Stage,
    metrics_table,
    overall_conversion,
)

from strategies import funnels


def test_from_mapping_keeps_order_and_indexes_by_name_and_position() -> None:
    f = Funnel.from_counts({"b": 3, "a": 5, "c": 1}, name="x")
    assert f.names == ("b", "a", "c")
    assert f[1].name == "a"
    assert f["c"].count == 1.0
    assert f.index("a") == 1
    assert "a" in f
    assert f.name == "x"
    assert f.counts.dtype == np.float64
    assert list(f.counts) == [3.0, 5.0, 1.0]


def test_from_pairs_and_triples_with_amounts() -> None:
    f = Funnel.from_counts([("Calls", 10, 1000.0), ("Paid", 2)])
    assert f[0].amount == 1000.0
    assert f[1].amount is None
    assert math.isnan(f.amounts[1])
    assert f.has_amounts


def test_amounts_mapping_must_name_known_stages() -> None:
    with pytest.raises(FunnelDataError, match="Nope"):
        Funnel.from_counts({"a": 1}, amounts={"Nope": 3})


def test_counts_are_read_only() -> None:
    f = Funnel.from_counts({"a": 1, "b": 0})
    with pytest.raises(ValueError, match="read-only"):
        f.counts[0] = 5


def test_larger_later_stage_is_flagged_not_reordered() -> None:
    f = Funnel.from_counts({"a": 5, "b": 7, "c": 2})
    assert f.names == ("a", "b", "c")
    assert list(f.non_monotonic) == [False, True, False]
    assert not f.is_monotonic


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-1, "-1"),
        ("12", "'12'"),
        (None, "None"),
        (True, "True"),
    ],
)
def test_bad_counts_raise_naming_stage_and_value(value: object, fragment: str) -> None:
    with pytest.raises(FunnelDataError) as info:
        Funnel.from_counts({"Calls": 10, "Meetings": value})  # type: ignore[dict-item]
    assert "Meetings" in str(info.value)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, SalesFunnelError)


def test_no_stages_duplicate_and_empty_names() -> None:
    with pytest.raises(FunnelDataError, match="at least one stage"):
        Funnel.from_counts({})
    with pytest.raises(FunnelDataError, match=r"unique.*'a'.*0 and 1"):
        Funnel.from_counts([("a", 1), ("a", 2)])
    with pytest.raises(FunnelDataError, match="non-empty"):
        Funnel.from_counts([("  ", 1)])
    with pytest.raises(FunnelDataError, match="mapping or a sequence"):
        Funnel.from_counts("abc")  # type: ignore[arg-type]


def test_unknown_stage_name_lookup_lists_names() -> None:
    f = Funnel.from_counts({"a": 1})
    with pytest.raises(KeyError, match=r"'zz'.*\['a'\]"):
        f["zz"]


def test_stage_payload_is_kept_and_not_compared() -> None:
    s = Stage("a", 1, data={"deal_ids": [1, 2]})
    assert s.data == {"deal_ids": [1, 2]}
    assert s == Stage("a", 1, data="other")


@given(funnels())
def test_any_valid_funnel_round_trips_through_pairs(f: Funnel) -> None:
    again = Funnel.from_counts([(s.name, s.count) for s in f])
    assert again.names == f.names
    assert np.array_equal(again.counts, f.counts)


@given(st.lists(st.one_of(st.floats(), st.integers(), st.text()), min_size=1, max_size=6))
def test_invalid_inputs_always_raise_funnel_data_error(values: list[object]) -> None:
    pairs = [(f"s{i}", v) for i, v in enumerate(values)]

    def valid(v: object) -> bool:
        return (
            isinstance(v, (int, float))
            and not isinstance(v, bool)
            and math.isfinite(v)
            and v >= 0
            and not (isinstance(v, int) and v > 2**53)  # a float holds integers exactly to 2**53
        )

    if all(valid(v) for v in values):
        assert len(Funnel.from_counts(pairs)) == len(values)  # type: ignore[arg-type]
    else:
        with pytest.raises(FunnelDataError):
            Funnel.from_counts(pairs)  # type: ignore[arg-type]


@pytest.mark.parametrize("count", [2**53 + 1, np.uint64(2**63 + 5), 10**30])
def test_integer_counts_a_float_cannot_hold_exactly_are_refused(count: object) -> None:
    # 10**17 + 1 and 10**17 are one float: the conversion would print 100 % for a real drop.
    with pytest.raises(FunnelDataError, match=r"count of stage 'A' is above 2\*\*53") as info:
        Funnel.from_counts({"A": count, "B": 1})
    assert info.value.column == "count"


def test_the_largest_exact_integer_count_is_kept_exactly() -> None:
    f = Funnel.from_counts({"A": 2**53, "B": 2**53 - 1})
    assert int(f["A"].count) == 2**53
    assert int(f["B"].count) == 2**53 - 1
    assert overall_conversion(f) < 1.0


# -- Decimal counts (what database drivers return for SUM and NUMERIC) and negative zero ------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("10"), 10.0),
        (Decimal("10.50"), 10.5),
        (Decimal("1E+2"), 100.0),
        (Decimal(2**53), float(2**53)),
        (Decimal("-0"), 0.0),
    ],
)
def test_decimal_counts_read_as_their_nearest_float(value: Decimal, expected: float) -> None:
    f = Funnel.from_counts({"a": value, "b": 0}, amounts={"a": value, "b": Decimal("0.1")})
    assert f.counts[0] == expected
    assert f.amounts[0] == expected
    assert f.amounts[1] == 0.1  # the float nearest to 0.1, as float("0.1") gives
    assert math.copysign(1.0, f.counts[0]) == 1.0  # never -0.0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("NaN"), "must be a finite number >= 0"),
        (Decimal("sNaN"), "must be a finite number >= 0"),
        (Decimal("-Infinity"), "must be a finite number >= 0"),
        (Decimal("-1"), "must be a finite number >= 0"),
        (Decimal(2**53 + 1), "above 2\\*\\*53"),
        (Decimal("9007199254740993.0"), "above 2\\*\\*53"),
        (Decimal("1E+400"), "above 2\\*\\*53"),
    ],
)
def test_decimal_counts_that_are_not_exact_counts_are_refused(value: Decimal, message: str) -> None:
    with pytest.raises(FunnelDataError, match=message) as err:
        Funnel.from_counts({"a": value})
    assert err.value.value is value  # the caller's own object, not a converted one


def test_negative_zero_counts_and_amounts_become_zero() -> None:
    # A "-0" cell used to stay -0.0 and print as "-0.0%" in the metrics table.
    f = Funnel.from_counts({"a": 5, "b": -0.0}, amounts={"a": -0.0, "b": 1})
    assert [math.copysign(1.0, x) for x in (*f.counts, *f.amounts)] == [1.0] * 4
    assert "-0" not in str(metrics_table(f))
