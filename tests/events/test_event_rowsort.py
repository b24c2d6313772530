"""``rowsort.sort_rows`` puts rows in the engines' order, whatever order they come in.

Its fast paths (rows already by unit and time: returned as they are, or only
the same-time groups with steps out of order fixed in place; long groups:
the whole sort) must equal ``np.lexsort`` by (unit, time, step), stable.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings, strategies as st

from salesfunnel.events import rowsort

I64 = npt.NDArray[np.int64]


def _expected(unit: I64, t: I64, step: I64) -> list[list[int]]:
    order = np.lexsort((step, t, unit))
    return [a[order].tolist() for a in (np.arange(len(unit)), unit, t, step)]


def _got(unit: I64, t: I64, step: I64, n_steps: int) -> list[list[int]]:
    rows = np.arange(len(unit), dtype=np.int64)
    out = rowsort.sort_rows(rows, unit.copy(), t.copy(), step.copy(), n_steps)
    return [a.tolist() for a in out]


@st.composite
def _rows(draw: st.DrawFn) -> tuple[I64, I64, I64, str]:
    """Rows in random order, by unit and time, or by unit, time and step; few times."""
    n = draw(st.integers(0, 80))
    big = draw(st.booleans())  # unit and time ranges too wide for one int64 key
    unit = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=np.int64)
    t = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=np.int64)
    step = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=np.int64)
    if big:
        unit, t = unit * 2**40, t * 2**30
    kind = draw(st.sampled_from(["random", "unit_time", "sorted"]))
    if kind == "unit_time":
        order = np.lexsort((t, unit))
        unit, t, step = unit[order], t[order], step[order]
    elif kind == "sorted":
        order = np.lexsort((step, t, unit))
        unit, t, step = unit[order], t[order], step[order]
    return unit, t, step, kind


@settings(max_examples=500, deadline=None)
@given(_rows())
def test_sort_rows_is_the_stable_lexsort(rows: tuple[I64, I64, I64, str]) -> None:
    unit, t, step, _ = rows
    assert _got(unit, t, step, 5) == _expected(unit, t, step)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 200), st.integers(0, 3), st.randoms(use_true_random=False))
def test_long_same_time_groups_take_the_whole_sort(size, at, rnd) -> None:  # type: ignore[no-untyped-def]
    # One unit, one time, ``size`` events with shuffled steps (over 64: the whole sort).
    steps = [rnd.randint(1, 4) for _ in range(size)]
    unit = np.zeros(size + 2, dtype=np.int64)
    t = np.array([0] + [5] * size + [9], dtype=np.int64) + at
    step = np.array([1, *steps, 2], dtype=np.int64)
    assert _got(unit, t, step, 5) == _expected(unit, t, step)


def test_sort_rows_worked_example() -> None:
    # By unit and time already; unit 1 at time 4 holds steps 3, 1, 2 (fixed to 1, 2, 3,
    # rows 2, 3, 1); the tie of unit 2 at time 4 is in order and stays.
    unit = np.array([1, 1, 1, 1, 2, 2], dtype=np.int64)
    t = np.array([0, 4, 4, 4, 4, 4], dtype=np.int64)
    step = np.array([2, 3, 1, 2, 1, 2], dtype=np.int64)
    rows, u, tt, s = rowsort.sort_rows(np.arange(6, dtype=np.int64), unit, t, step, 4)
    assert rows.tolist() == [0, 2, 3, 1, 4, 5]
    assert s.tolist() == [2, 1, 2, 3, 1, 2]
    assert u.tolist() == [1, 1, 1, 1, 2, 2]
    assert tt.tolist() == [0, 4, 4, 4, 4, 4]
