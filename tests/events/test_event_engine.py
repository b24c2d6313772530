"""The engine's vectorised paths against the paths they replaced, on random sorted rows.

``_ordered_per_step`` is ``engine.ordered_fast`` as it was before it became a
binary search per step among the previous level's rows (one pass per step over
every event): kept here as the reference the new path must equal exactly, unit
keys, levels and chain times.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings, strategies as st

from salesfunnel.events import engine

I64 = npt.NDArray[np.int64]


def _ordered_per_step(unit: I64, t: I64, step: I64, k: int, window: float) -> engine.Units:
    """The former ordered_fast: one pass over every row per step."""
    n = len(unit)
    keys, begin, _, unit_index = engine._runs(unit)
    idx = np.arange(n, dtype=np.int64)
    start = t.copy()
    entered = step == 1
    same = np.zeros(n, dtype=bool)
    ones = np.flatnonzero(entered)
    same[ones[1:]] = (begin[ones[1:]] == begin[ones[:-1]]) & (t[ones[1:]] == t[ones[:-1]])
    entered &= ~same
    levels = [entered]
    parents = [np.full(n, -1, dtype=np.int64)]
    for level in range(2, k + 1):
        last = np.maximum.accumulate(np.where(levels[-1], idx, -1)) if n else idx
        rows = np.flatnonzero(step == level)
        q = last[rows]
        ok = q >= begin[rows]
        q = np.where(ok, q, 0)
        s = start[q]
        ok &= (t[rows] - s) <= window
        rows, q, s = rows[ok], q[ok], s[ok]
        again = np.zeros(len(rows), dtype=bool)
        again[1:] = (s[1:] == s[:-1]) & (begin[rows[1:]] == begin[rows[:-1]])
        rows, q = rows[~again], q[~again]
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        start[rows] = start[q]
        parent = np.full(n, -1, dtype=np.int64)
        parent[rows] = q
        levels.append(mask)
        parents.append(parent)
    n_units = len(keys)
    reached = np.zeros(n_units, dtype=np.int64)
    times = np.full((n_units, k), -1, dtype=np.int64)
    cur = np.full(n_units, -1, dtype=np.int64)
    for level in range(k, 0, -1):
        first = engine._first_per_unit(levels[level - 1], n_units, unit_index)
        new = (reached == 0) & (first >= 0)
        reached[new] = level
        cur[new] = first[new]
        on = cur >= 0
        times[on, level - 1] = t[cur[on]]
        cur[on] = parents[level - 1][cur[on]]
    return engine.Units(keys, reached, times)


@st.composite
def sorted_rows(draw: st.DrawFn, k_max: int = 5) -> tuple[I64, I64, I64, int, float]:
    """Rows sorted by (unit, time, step), one step each; few times, so many ties."""
    k = draw(st.integers(1, k_max))
    n = draw(st.integers(0, 60))
    unit = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=np.int64)
    t = np.array(draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)), dtype=np.int64)
    step = np.array(draw(st.lists(st.integers(1, k), min_size=n, max_size=n)), dtype=np.int64)
    order = np.lexsort((step, t, unit))
    window = float(draw(st.integers(1, 20)))
    return unit[order] * 7 + 3, t[order], step[order], k, window


def _same(a: engine.Units, b: engine.Units) -> None:
    assert a.keys.tolist() == b.keys.tolist()
    assert a.reached.tolist() == b.reached.tolist()
    assert a.times.tolist() == b.times.tolist()


@settings(max_examples=400, deadline=None)
@given(sorted_rows())
def test_ordered_fast_equals_the_per_step_pass(rows: tuple[I64, I64, I64, int, float]) -> None:
    _same(engine.ordered_fast(*rows), _ordered_per_step(*rows))


@settings(max_examples=200, deadline=None)
@given(sorted_rows())
def test_ordered_fast_equals_the_state_machine(rows: tuple[I64, I64, I64, int, float]) -> None:
    unit, t, step, k, window = rows
    loop = engine.state_machine(unit, t, [(int(s),) for s in step], k, window, strict=False)
    _same(engine.ordered_fast(*rows), loop)


def test_ordered_fast_worked_example() -> None:
    # Unit 1: view@0, view@5, cart@12, buy@14 (window 10): the later chain (start 5)
    # carries on, so 3 steps at 5, 12, 14. Unit 2: cart@0 before any view, view@1,
    # buy@2: level 1 only (no cart after the view).
    unit = np.array([1, 1, 1, 1, 2, 2, 2], dtype=np.int64)
    t = np.array([0, 5, 12, 14, 0, 1, 2], dtype=np.int64)
    step = np.array([1, 1, 2, 3, 2, 1, 3], dtype=np.int64)
    u = engine.ordered_fast(unit, t, step, 3, 10.0)
    assert u.reached.tolist() == [3, 1]
    assert u.times.tolist() == [[5, 12, 14], [1, -1, -1]]


def test_only_units_with_an_exclusion_event_take_the_loop() -> None:
    # Window 100 s, view -> cart -> buy, exclusion "back" between steps 1 and 3.
    # a: view@0, back@5, cart@10, buy@20: its only chain saw "back" before buying: removed.
    # b: view@0, cart@10, buy@20 (no exclusion event: the fast path): 3 steps.
    # c: view@0, cart@10, back@30 (after its chain reached cart but not buy): removed.
    # d: view@0, view@50, cart@60: 2 steps at 50, 60 (the later start, fast path).
    import datetime as dt

    from salesfunnel import EventLog, event_funnel

    events = [("a", "view", 0), ("a", "back", 5), ("a", "cart", 10), ("a", "buy", 20),
              ("b", "view", 0), ("b", "cart", 10), ("b", "buy", 20),
              ("c", "view", 0), ("c", "cart", 10), ("c", "back", 30),
              ("d", "view", 0), ("d", "view", 50), ("d", "cart", 60)]  # fmt: skip
    base = np.datetime64("2024-01-01T00:00:00", "s")
    log = EventLog.from_columns({
        "entity": [e[0] for e in events], "event": [e[1] for e in events],
        "time": base + np.array([e[2] for e in events], dtype="timedelta64[s]"),
    })  # fmt: skip
    f = event_funnel(log, ["view", "cart", "buy"], window=dt.timedelta(seconds=100),
                     exclusions=[("back", 1, 3)])  # fmt: skip
    assert f.counts == (2, 2, 1)
    assert f.excluded == 2
    assert [u.tolist() for u in f.units] == [["b", "d"], ["b", "d"], ["b"]]
    assert f.median_s == (None, 10.0, 10.0)


@settings(max_examples=200, deadline=None)
@given(sorted_rows(), st.sampled_from([0.0, 0.25, 0.5, 0.999]))
def test_ordered_fast_with_a_fractional_window_equals_the_per_step_pass(
    rows: tuple[I64, I64, I64, int, float], fraction: float
) -> None:
    # A window of W + f seconds keeps a step W seconds after its start, not W + 1.
    unit, t, step, k, window = rows
    rows = (unit, t, step, k, window + fraction)
    _same(engine.ordered_fast(*rows), _ordered_per_step(*rows))


EDGES = [0, 1, 2**31, 2**53 - 1, 2**53, 2**53 + 1, 2**62, 2**63 - 1]
DIFFS = st.one_of(
    st.integers(-(2**63), 2**63 - 1), st.sampled_from(EDGES + [-e for e in EDGES] + [-(2**63)])
)
WINDOWS = st.one_of(
    st.floats(min_value=0.0, max_value=2.0**64, allow_nan=False, exclude_min=True),
    st.sampled_from([0.5, 1.0, 1.5, 2.0**31, 2.0**53 - 1, 2.0**53 - 0.5, 2.0**53, 2.0**60]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(DIFFS, min_size=1, max_size=20), WINDOWS)
def test_whole_window_compares_as_the_window(diffs: list[int], window: float) -> None:
    # Differences of int64 seconds compared with the window as numpy compares them
    # (as float64), and with whole_window(window): the same booleans, extremes included.
    d = np.array(diffs, dtype=np.int64)
    assert ((d <= engine.whole_window(window)) == (d <= window)).all()
