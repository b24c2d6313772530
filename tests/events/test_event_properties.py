"""The engine agrees with the plain-Python reference (tests/events/reference.py) on random logs."""

from __future__ import annotations

import datetime as dt
import statistics

import numpy as np
from hypothesis import given, strategies as st

from events.reference import funnel_counts, open_units
from salesfunnel import EventLog, event_funnel
from salesfunnel.events import engine

from strategies import event_logs, funnel_steps

BASE = np.datetime64("2024-01-01T00:00:00", "s")


def _log(events: list[tuple[str, str, int, dict[str, str]]]) -> EventLog:
    return EventLog.from_columns(
        {
            "entity": [e[0] for e in events],
            "event": [e[1] for e in events],
            "time": BASE + np.array([e[2] for e in events], dtype="timedelta64[s]"),
            "device": [e[3]["device"] for e in events],
        },
        properties=["device"],
    )


def _step(names: tuple[str, ...]) -> str | tuple[str, ...]:
    return names[0] if len(names) == 1 else names


def _check(events, steps, window, order, exclusions=()) -> None:  # type: ignore[no-untyped-def]
    f = event_funnel(
        _log(events),
        [_step(s) for s in steps],
        window=dt.timedelta(seconds=window),
        order=order,
        exclusions=exclusions,
    )
    counts, removed, units = funnel_counts(events, steps, window, order=order,
                                           exclusions=exclusions)  # fmt: skip
    assert list(f.counts) == counts
    assert f.excluded == removed
    for j in range(len(steps)):
        want = sorted(u for u, r in units.items() if r.reached >= j + 1)
        assert sorted(f.units[j].tolist()) == want
        if j and order != "unordered":
            gaps = [r.times[j] - r.times[j - 1] for r in units.values() if r.reached >= j + 1]
            assert f.median_s[j] == (statistics.median(gaps) if gaps else None)
            if gaps:
                assert f.mean_s[j] is not None
                assert abs(f.mean_s[j] - statistics.fmean(gaps)) < 1e-9
    assert all(a >= b for a, b in zip(f.counts, f.counts[1:], strict=False))


windows = st.integers(min_value=1, max_value=8)


@given(event_logs(), funnel_steps(overlap=False), windows)
def test_ordered_fast_path_matches_the_reference(events, steps, window) -> None:  # type: ignore[no-untyped-def]
    _check(events, steps, window, "ordered")


@given(event_logs(), funnel_steps(), windows, st.sampled_from(["ordered", "strict"]))
def test_general_path_matches_the_reference(events, steps, window, order) -> None:  # type: ignore[no-untyped-def]
    _check(events, steps, window, order)


@given(event_logs(), funnel_steps(overlap=False), windows)
def test_unordered_matches_the_reference(events, steps, window) -> None:  # type: ignore[no-untyped-def]
    _check(events, steps, window, "unordered")


@given(event_logs(), funnel_steps(), windows, st.sampled_from(["ordered", "strict"]), st.data())
def test_exclusions_match_the_reference(events, steps, window, order, data) -> None:  # type: ignore[no-untyped-def]
    k = len(steps)
    i = data.draw(st.integers(min_value=1, max_value=k - 1))
    j = data.draw(st.integers(min_value=i + 1, max_value=k))
    name = data.draw(st.sampled_from(["A", "B", "C", "D"]))
    _check(events, steps, window, order, exclusions=[(name, i, j)])


@given(event_logs(), funnel_steps(), windows, st.sampled_from(["first_touch", "last_touch"]))
def test_breakdown_groups_add_up_to_the_total(events, steps, window, attribution) -> None:  # type: ignore[no-untyped-def]
    f = event_funnel(_log(events), [_step(s) for s in steps], window=dt.timedelta(seconds=window),
                     breakdown="device", attribution=attribution)  # fmt: skip
    for j in range(len(steps)):
        assert sum(g.counts[j] for g in f.by.values()) == f.counts[j]
        ids = np.concatenate([g.units[j] for g in f.by.values()])
        assert sorted(ids.tolist()) == sorted(f.units[j].tolist())


@given(event_logs(), funnel_steps(overlap=False), windows, st.data())
def test_period_and_open_units_match_the_reference(events, steps, window, data) -> None:  # type: ignore[no-untyped-def]
    lo = data.draw(st.integers(min_value=0, max_value=6))
    hi = data.draw(st.integers(min_value=lo + 1, max_value=14))
    f = event_funnel(_log(events), [_step(s) for s in steps], window=dt.timedelta(seconds=window),
                     start=BASE + np.timedelta64(lo, "s"), end=BASE + np.timedelta64(hi, "s"))  # fmt: skip
    seen = [e for e in events if lo <= e[2] < hi]
    counts, _, units = funnel_counts(seen, steps, window)
    assert list(f.counts) == counts
    still = open_units(seen, steps, window, hi, units)
    assert list(f.open_counts) == [
        sum(1 for u in still if units[u].reached == j + 1) for j in range(len(steps))
    ]


@given(event_logs(), funnel_steps(overlap=False), windows)
def test_the_fast_path_equals_the_general_path(events, steps, window) -> None:  # type: ignore[no-untyped-def]
    # The vectorised engine is an override of the loop: same units, levels and chain times.
    rows = sorted(
        (u, t, j + 1) for u, name, t, _ in events for j, s in enumerate(steps) if name in s
    )
    codes = {u: i for i, u in enumerate(sorted({r[0] for r in rows}))}
    unit = np.array([codes[r[0]] for r in rows], dtype=np.int64)
    order = np.lexsort((np.array([r[2] for r in rows]), np.array([r[1] for r in rows]), unit))
    unit = unit[order]
    t = np.array([r[1] for r in rows], dtype=np.int64)[order]
    st_ = np.array([r[2] for r in rows], dtype=np.int64)[order]
    fast = engine.ordered_fast(unit, t, st_, len(steps), float(window))
    slow = engine.state_machine(unit, t, [(int(s),) for s in st_], len(steps), float(window), False)
    assert fast.keys.tolist() == slow.keys.tolist()
    assert fast.reached.tolist() == slow.reached.tolist()
    assert fast.times.tolist() == slow.times.tolist()


@given(event_logs(), funnel_steps(), windows, st.sampled_from(["ordered", "strict"]))
def test_all_events_breakdown_is_the_funnel_of_each_value(events, steps, window, order) -> None:  # type: ignore[no-untyped-def]
    f = event_funnel(_log(events), [_step(s) for s in steps], window=dt.timedelta(seconds=window),
                     order=order, breakdown="device", attribution="all_events")  # fmt: skip
    values = {e[3]["device"] for e in events}
    assert set(f.by) == {v or "(none)" for v in values}
    for v in values:
        subset = [e for e in events if e[3]["device"] == v]
        counts, _, _ = funnel_counts(subset, steps, window, order=order)
        assert list(f.by[v or "(none)"].counts) == counts


def _strict_rows(events, steps):  # type: ignore[no-untyped-def]
    """Every event as (unit code, t, step or 0), sorted by unit then time (stable)."""
    codes = {u: i for i, u in enumerate(sorted({e[0] for e in events}))}
    rows = [(codes[u], t, next((j + 1 for j, s in enumerate(steps) if n in s), 0))
            for u, n, t, _ in events]  # fmt: skip
    rows.sort(key=lambda r: (r[0], r[1]))
    unit, t, step = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
    return unit, t, step


@given(event_logs(), funnel_steps(overlap=False), windows)
def test_the_strict_fast_path_equals_the_loop(events, steps, window) -> None:  # type: ignore[no-untyped-def]
    # The loop (the old path) is the reference: same levels and chain times, unit by
    # unit, for the units without a time holding different steps; the others are
    # left to the loop by event_funnel, so the merged result equals the loop too.
    unit, t, step = _strict_rows(events, steps)
    slow = engine.mixed_units(unit, t, step)
    loop = engine.state_machine(unit, t, [(int(s),) if s else () for s in step], len(steps),
                                float(window), True)  # fmt: skip
    fast = engine.strict_fast(unit[~slow], t[~slow], step[~slow], len(steps), float(window))
    clean = ~np.isin(loop.keys, unit[slow])
    assert fast.keys.tolist() == loop.keys[clean].tolist()
    assert fast.reached.tolist() == loop.reached[clean].tolist()
    assert fast.times.tolist() == loop.times[clean].tolist()
    rest = engine.state_machine(unit[slow], t[slow], [(int(s),) if s else () for s in step[slow]],
                                len(steps), float(window), True)  # fmt: skip
    merged = engine.merge_units(fast, rest)
    assert merged.reached.tolist() == loop.reached.tolist()
    assert merged.times.tolist() == loop.times.tolist()


def test_a_repeated_middle_step_does_not_break_a_strict_chain() -> None:
    # A@0 B@1 B@2 C@3: the second B cannot enter B again and clears nothing held
    # (B is its own step), so C continues the chain: PostHog's strict gives 3.
    # A@0 B@1 X@2 C@3: X clears B, so C has nothing to continue: 2.
    rows = [("u", "A", 0), ("u", "B", 1), ("u", "B", 2), ("u", "C", 3),
            ("v", "A", 0), ("v", "B", 1), ("v", "D", 2), ("v", "C", 3)]  # fmt: skip
    events = [(u, n, t, {"device": ""}) for u, n, t in rows]
    f = event_funnel(_log(events), ["A", "B", "C"], window=dt.timedelta(seconds=10),
                     order="strict")  # fmt: skip
    assert f.counts == (2, 2, 1)
    assert f.units[2].tolist() == ["u"]
    assert f.median_s == (None, 1.0, 2.0)


@given(st.lists(st.tuples(st.integers(-(2**40), 2**40), st.integers(0, 5), st.integers(0, 3)),
                max_size=30), st.booleans())  # fmt: skip
def test_the_one_key_sort_is_lexsort(rows, small) -> None:  # type: ignore[no-untyped-def]
    # One combined int64 key when the ranges fit, else np.lexsort: the same stable order.
    from salesfunnel.events.rowsort import sort_order as _sort_order

    unit = np.array([r[0] % 7 if small else r[0] for r in rows], dtype=np.int64)
    t = np.array([r[1] * (1 if small else 2**40) for r in rows], dtype=np.int64)
    step = np.array([r[2] for r in rows], dtype=np.int64)
    assert _sort_order(unit, t, step, 4).tolist() == np.lexsort((step, t, unit)).tolist()
    assert _sort_order(unit, t).tolist() == np.lexsort((t, unit)).tolist()
