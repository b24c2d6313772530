"""The statistics functions refuse numbers they cannot use, and skip untested p-values.

Before, ``wilson_interval(nan, 10)`` returned (0.0, 1.0), ``wilson_interval(3,
inf)`` returned (0.0, 0.0), and ``adjust_p_values`` sorted a NaN among the
p-values (counting it as a test and raising the others) and passed a p-value of
1.5 through as 1.0: numbers computed from input that is not a count or a
probability. Now such input is a FunnelDataError naming the argument, and a NaN
p-value means "no test", as in R's ``p.adjust`` (which removes the NAs and
counts only the others, ``n = length(p)`` being evaluated after that).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from salesfunnel import FunnelDataError, adjust_p_values, wilson_interval
from salesfunnel.funnel.compare import two_proportion_test

BAD_COUNTS = [float("nan"), float("inf"), -float("inf"), -1, -0.5, True, "3", None]


@pytest.mark.parametrize("bad", BAD_COUNTS)
def test_wilson_interval_refuses_what_is_not_a_count(bad: object) -> None:
    with pytest.raises(FunnelDataError, match="successes must be a finite number") as err:
        wilson_interval(bad, 10)  # type: ignore[arg-type]
    assert err.value.column == "successes"
    with pytest.raises(FunnelDataError, match="trials must be a finite number") as err:
        wilson_interval(3, bad)  # type: ignore[arg-type]
    assert err.value.column == "trials"


@pytest.mark.parametrize("bad", BAD_COUNTS)
@pytest.mark.parametrize("position", range(4))
def test_two_proportion_test_refuses_what_is_not_a_count(bad: object, position: int) -> None:
    args: list[object] = [3, 10, 4, 10]
    args[position] = bad
    name = ("x1", "n1", "x2", "n2")[position]
    with pytest.raises(FunnelDataError, match=f"{name} must be a finite number") as err:
        two_proportion_test(*args)  # type: ignore[arg-type]
    assert err.value.column == name


def test_documented_none_cases_stay() -> None:
    assert wilson_interval(0, 0) is None  # no trials
    assert wilson_interval(5, 4) is None  # a stage larger than the one before it
    assert two_proportion_test(3, 0, 1, 2) is None
    assert two_proportion_test(10, 10, 20, 20) is None  # no variance
    # numpy scalars and floats are counts like ints
    import numpy as np

    assert wilson_interval(np.int64(81), np.float64(263.0)) == wilson_interval(81, 263)


def test_nan_p_values_are_untested_worked_example() -> None:
    # Holm over the three tests 0.01, 0.04, 0.03: sorted 0.01, 0.03, 0.04 times 3, 2, 1 =
    # 0.03, 0.06, 0.04; running maximum 0.03, 0.06, 0.06.
    holm = adjust_p_values([0.01, float("nan"), 0.04, 0.03], "holm")
    assert math.isnan(holm[1])
    assert [holm[0], holm[2], holm[3]] == pytest.approx([0.03, 0.06, 0.06])
    # BH: 0.04 * 3/3 = 0.04; 0.03 * 3/2 = 0.045 -> min 0.04; 0.01 * 3/1 = 0.03.
    bh = adjust_p_values([0.01, float("nan"), 0.04, 0.03], "bh")
    assert math.isnan(bh[1])
    assert [bh[0], bh[2], bh[3]] == pytest.approx([0.03, 0.04, 0.04])
    assert all(math.isnan(p) for p in adjust_p_values([float("nan")] * 3))


p_value = st.floats(0.0, 1.0)


@given(
    st.lists(p_value, max_size=12),
    st.lists(st.integers(0, 12), max_size=4),
    st.sampled_from(["holm", "bh", "none"]),
)
def test_nan_p_values_are_left_out_of_the_family(
    p: list[float], holes: list[int], correction: str
) -> None:
    with_nan = list(p)
    for h in sorted(holes):
        with_nan.insert(min(h, len(with_nan)), float("nan"))
    got = adjust_p_values(with_nan, correction)  # type: ignore[arg-type]
    assert [math.isnan(x) for x in got] == [math.isnan(x) for x in with_nan]
    assert [x for x in got if not math.isnan(x)] == adjust_p_values(p, correction)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [1.5, -0.01, float("inf"), True, "0.1"])
def test_p_values_outside_zero_to_one_are_refused(bad: object) -> None:
    with pytest.raises(FunnelDataError, match="p-value 1 must be a number from 0 to 1") as err:
        adjust_p_values([0.01, bad, 0.03])  # type: ignore[list-item]
    assert (err.value.column, err.value.index) == ("p_values", 1)


def test_a_missing_p_value_says_how_to_keep_its_place() -> None:
    with pytest.raises(FunnelDataError, match=r"p-value 0 is None.*float\('nan'\)"):
        adjust_p_values([None, 0.5])  # type: ignore[list-item]
