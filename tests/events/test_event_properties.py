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
