"""The funnel engines: per unit, the furthest step reached and the chain behind it.

Input: events already reduced to what the rules need, sorted by unit then
time (stable, so equal times keep the log's order): ``unit`` keys, ``t``
seconds, and per event the step numbers it matches (1-based; ``-s`` for an
exclusion that watches chains at step ``s - 1``, as PostHog encodes them).
Output: a :class:`Units` with, per unit, the furthest step (``-1`` when an
exclusion removed the unit) and the times of the chain that set it.

Three paths compute the same rules (:mod:`salesfunnel.events.funnel` states
them):

* :func:`ordered_fast`: ``order='ordered'``, no exclusions, each event
  matching at most one step. Vectorised numpy: per step, one binary search
  per step-``k`` event among the rows at level ``k - 1`` (no pass over every
  event per step), no Python loop per unit. Level ``k`` is entered by a
  step-``k`` event when the latest chain at level ``k - 1`` before it
  started at most ``W`` earlier; the chain keeps that start (the latest
  start: the most window left) and a chain already at level ``k`` is not
  entered twice.
* :func:`unordered_fast`: ``order='unordered'``; per event taken as a
  window's first event, the distinct steps done within ``W``.
* :func:`strict_fast`: ``order='strict'``, no exclusions, each event
  matching at most one step, and no time at which a unit has events of
  different steps (:func:`mixed_units` finds the units that do; they take the
  general path). Under strict, an event clears every level but its own step's,
  so a chain is a run of consecutive events with steps 1, 2, 3, ... inside the
  window; a repeat of step ``s >= 2`` right after step ``s`` changes nothing
  (it cannot enter ``s`` again and clears no other level held) and is dropped.
  Vectorised over the sorted rows: no Python loop per unit.
* :func:`state_machine`: the units the fast paths cannot take (a unit with
  an exclusion event, an event matching several steps, or under strict a
  mixed same-time group; :func:`units_with` spreads such a row to its unit),
  and ``order='clickhouse'`` with modes. A plain loop over each unit's
  events: the slow, general path, and the reference the fast paths are
  tested against. Every result depends on a unit's own events only, so the
  other units of the same funnel still take the fast path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "Units",
    "merge_units",
    "mixed_units",
    "ordered_fast",
    "state_machine",
    "strict_fast",
    "units_with",
    "unordered_fast",
]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Units:
    """Per unit (sorted keys): furthest step, ``-1`` if excluded; chain times (-1 unset)."""

    keys: I64
    reached: I64
    times: I64  # (units, K) seconds of the chain's step events


class _Runs(NamedTuple):
    keys: I64  # the distinct units, in row order
    begin: I64  # per row, the first row of its unit
    end: I64  # per row, one past the last row of its unit
    at: I64  # per row, the position of its unit in ``keys``


def _runs(unit: I64) -> _Runs:
    """The runs of equal unit keys in rows sorted by unit."""
    n = len(unit)
    first = np.flatnonzero(np.concatenate(([True], unit[1:] != unit[:-1]))).astype(np.int64)
    if not n:
        first = np.zeros(0, dtype=np.int64)
    sizes = np.diff(np.append(first, n))
    index = np.repeat(np.arange(len(first), dtype=np.int64), sizes)
    return _Runs(unit[first], first[index], np.append(first[1:], n)[index], index)


def _first_per_unit(mask: B, n_units: int, unit_index: I64) -> I64:
    """Per unit, the first row where ``mask`` holds (-1 if none)."""
    rows = np.flatnonzero(mask)
    out = np.full(n_units, -1, dtype=np.int64)
    # Reversed assignment: the first row of each unit is written last and wins.
    out[unit_index[rows[::-1]]] = rows[::-1]
    return out


def ordered_fast(unit: I64, t: I64, step: npt.NDArray[np.integer], k: int, window: float) -> Units:
    """The ordered rules, vectorised; rows sorted by (unit, time, step), one step each.

    Each level is kept as the sorted rows that entered it, with their unit's
    position, their chain's start and the position of their parent in the
    level before, so level ``k`` looks only at the step-``k`` rows and finds,
    by one binary search each, the latest level-``k - 1`` row before it: no
    pass over every event per step, no search among the unit keys.
    """
    new_unit = np.ones(len(unit), dtype=bool)
    new_unit[1:] = unit[1:] != unit[:-1]
    keys = unit[new_unit]
    uid = np.cumsum(new_unit, dtype=np.int64)
    uid -= 1  # per row, its unit's position in ``keys``
    del new_unit
    ones = np.flatnonzero(step == 1)
    u1, t1 = uid[ones], t[ones]
    # Two step-1 events at one time start one chain (the second is "already reached").
    again = np.zeros(len(ones), dtype=bool)
    again[1:] = (u1[1:] == u1[:-1]) & (t1[1:] == t1[:-1])
    if again.any():
        ones, u1, t1 = ones[~again], u1[~again], t1[~again]
    levels = [_Level(ones, u1, t1, np.zeros(0, dtype=np.int64))]
    for level in range(2, k + 1):
        prev = levels[-1]
        rows = np.flatnonzero(step == level)
        at = np.searchsorted(prev.rows, rows)
        at -= 1  # the latest chain at level - 1 before
        ok = at >= 0
        at[~ok] = 0
        u = uid[rows]
        if len(prev.rows):
            s = prev.start[at]
            ok &= prev.unit[at] == u
            ok &= (t[rows] - s) <= window
        else:
            s = np.zeros(len(rows), dtype=np.int64)
            ok[:] = False
        rows, u, s, at = rows[ok], u[ok], s[ok], at[ok]
        # A chain already at this level (same start, same unit) is not entered again.
        again = np.zeros(len(rows), dtype=bool)
        again[1:] = (s[1:] == s[:-1]) & (u[1:] == u[:-1])
        keep = ~again
        levels.append(_Level(rows[keep], u[keep], s[keep], at[keep]))
    return _chains(keys, t, levels, k)


class _Level(NamedTuple):
    rows: I64  # the rows that entered the level, sorted
    unit: I64  # their unit's position in the keys
    start: I64  # their chain's start (s)
    parent: I64  # their parent's position in the level before (empty for level 1)


def _chains(keys: I64, t: I64, levels: list[_Level], k: int) -> Units:
    """Per unit, its furthest level and the times of its first chain at that level."""
    n_units = len(keys)
    reached = np.zeros(n_units, dtype=np.int64)
    times = np.full((n_units, k), -1, dtype=np.int64)
    cur = np.full(n_units, -1, dtype=np.int64)  # per unit, its chain's position in the level
    for level in range(k, 0, -1):
        lv = levels[level - 1]
        first = np.ones(len(lv.unit), dtype=bool)
        first[1:] = lv.unit[1:] != lv.unit[:-1]
        head = np.flatnonzero(first)  # per unit at this level, its first entry
        owner = lv.unit[head]
        new = reached[owner] == 0
        reached[owner[new]] = level
        cur[owner[new]] = head[new]
        on = np.flatnonzero(cur >= 0)
        at = cur[on]
        times[on, level - 1] = t[lv.rows[at]]
        if level > 1:
            cur[on] = lv.parent[at]
    return Units(keys, reached, times)


def unordered_fast(
    unit: I64, t: I64, step: npt.NDArray[np.integer], k: int, window: float
) -> Units:
    """The unordered rule, vectorised; rows sorted by (unit, time), one step each.

    A unit's level is the most distinct steps among its events in one window
    ``[t, t + W]`` (a window that holds events can start at its first one).
    """
    n = len(unit)
    keys, _, unit_end, unit_index = _runs(unit)
    count = np.zeros(n, dtype=np.int64)
    idx = np.arange(n, dtype=np.int64)
    for level in range(1, k + 1):
        # Next row at or after each row that holds this step.
        nxt = np.minimum.accumulate(np.where(step == level, idx, n)[::-1])[::-1] if n else idx
        ok = nxt < unit_end
        ok[ok] &= (t[nxt[ok]] - t[ok]) <= window
        count += ok
    reached = np.zeros(len(keys), dtype=np.int64)
    if n:
        np.maximum.at(reached, unit_index, count)
    return Units(keys, reached, np.full((len(keys), k), -1, dtype=np.int64))


def mixed_units(unit: I64, t: I64, step: I64) -> B:
    """Per row (sorted by unit, time): its unit has a time holding events of different steps."""
    same = np.zeros(len(unit), dtype=bool)
    same[1:] = (unit[1:] == unit[:-1]) & (t[1:] == t[:-1]) & (step[1:] != step[:-1])
    return units_with(unit, same)


def units_with(unit: I64, flag: B) -> B:
    """Per row (sorted by unit): ``flag`` holds on some row of its unit."""
    n = len(unit)
    if not n:
        return np.zeros(0, dtype=bool)
    _, _, _, unit_index = _runs(unit)
    bad = np.zeros(int(unit_index[-1]) + 1, dtype=bool)
    bad[unit_index[flag]] = True
    out: B = bad[unit_index]
    return out


def strict_fast(unit: I64, t: I64, step: I64, k: int, window: float) -> Units:
    """The strict rules, vectorised; every event of the units, sorted by (unit, time).

    ``step`` is 0 for an event matching no step. No unit may hold a time with
    events of different steps (see :func:`mixed_units`).
    """
    first_of_unit = np.ones(len(unit), dtype=bool)
    first_of_unit[1:] = unit[1:] != unit[:-1]
    repeat = np.zeros(len(unit), dtype=bool)
    repeat[1:] = (step[1:] == step[:-1]) & (step[1:] >= 2)
    keep = first_of_unit | ~repeat
    unit, t, step = unit[keep], t[keep], step[keep]
    n = len(unit)
    keys, _, _, unit_index = _runs(unit)
    idx = np.arange(n, dtype=np.int64)
    # A row continues the run of the row before when its step is the next one.
    cont = np.zeros(n, dtype=bool)
    cont[1:] = (unit[1:] == unit[:-1]) & (step[1:] >= 2) & (step[1:] == step[:-1] + 1)
    head = np.maximum.accumulate(np.where(cont, 0, idx)) if n else idx
    valid = (step >= 1) & (step[head] == 1) & (t - t[head] <= window)
    level = np.where(valid, step, 0)
    n_units = len(keys)
    reached = np.zeros(n_units, dtype=np.int64)
    if n:
        np.maximum.at(reached, unit_index, level)
    # The chain behind a unit's level is the first run that reached it.
    hit = (level > 0) & (level == reached[unit_index])
    end = _first_per_unit(hit, n_units, unit_index)
    times = np.full((n_units, k), -1, dtype=np.int64)
    for j in range(k):
        on = (end >= 0) & (reached > j)
        times[on, j] = t[end[on] - (reached[on] - 1) + j]
    return Units(keys, reached, times)


def merge_units(a: Units, b: Units) -> Units:
    """Two results on disjoint units as one, by key."""
    order = np.argsort(np.concatenate((a.keys, b.keys)), kind="stable")
    return Units(
        np.concatenate((a.keys, b.keys))[order],
        np.concatenate((a.reached, b.reached))[order],
        np.concatenate((a.times, b.times))[order],
    )


class _Chain(NamedTuple):
    start: int
    excluded: bool
    times: tuple[int, ...]
    events: tuple[int, ...]


def _process(
    entered: list[_Chain | None],
    best: tuple[int, _Chain | None],
    t: int,
    eid: int,
    steps: Sequence[int],
    window: float,
    multi: bool,
) -> tuple[int, _Chain | None]:
    """One event through the chains (PostHog's rules; see the module docstring)."""
    for raw in reversed(steps):
        s = abs(raw)
        prev = entered[s - 1]
        if prev is None or t - prev.start > window:
            continue
        cur = entered[s]
        if cur is not None and cur.start == prev.start:
            continue  # this chain is at step s already
        if raw < 0:
            if not prev.excluded:
                entered[s - 1] = prev._replace(excluded=True)
                level, chain = best
                if level == s - 1 and chain is not None and t - chain.start <= window:
                    best = (level, chain._replace(excluded=True))
            continue
        if multi and eid in prev.events:
            continue  # one event fills one step of a chain
        new = _Chain(prev.start, prev.excluded, (*prev.times, t), (*prev.events, eid))
        if not prev.excluded:
            entered[s] = new
        level, chain = best
        if s > level or (s == level and chain is not None and chain.excluded):
            best = (s, new)
    return best


def _one_unit(
    events: list[tuple[int, int, tuple[int, ...]]], k: int, window: float, strict: bool
) -> tuple[int, tuple[int, ...]]:
    """Furthest step (-1 if excluded) and chain times of one unit's sorted events."""
    entered: list[_Chain | None] = [None] * (k + 1)
    best: tuple[int, _Chain | None] = (0, None)
    i, n = 0, len(events)
    while i < n:
        j = i
        while j < n and events[j][0] == events[i][0]:
            j += 1
        group = events[i:j]
        entered[0] = _Chain(group[0][0], False, (), ())
        if all(g[2] == group[0][2] for g in group):
            for t, eid, steps in group:
                best = _process(entered, best, t, eid, steps, window, False)
                if strict:
                    for level in range(1, k + 1):
                        if level not in steps:
                            entered[level] = None
        else:
            # Different steps at one time: one event per positive step, in step
            # order; exclusions and strict resets do not apply to the group.
            split = sorted(((s, t, eid) for t, eid, st in group for s in st if s > 0))
            for s, t, eid in sorted(split, key=lambda e: e[0]):
                best = _process(entered, best, t, eid, (s,), window, True)
        if entered[k] is not None:
            break  # the first complete chain ends the search
        i = j
    level, chain = best
    if chain is None:
        return 0, ()
    return (-1, ()) if chain.excluded else (level, chain.times)


def state_machine(
    unit: I64, t: I64, steps: list[tuple[int, ...]], k: int, window: float, strict: bool
) -> Units:
    """The general path: every rule, one unit at a time (rows sorted by unit, time)."""
    keys, begin, _, _ = _runs(unit)
    n_units = len(keys)
    reached = np.zeros(n_units, dtype=np.int64)
    times = np.full((n_units, k), -1, dtype=np.int64)
    bounds = np.append(np.unique(begin), len(unit))
    tl = t.tolist()
    for u in range(n_units):
        lo, hi = int(bounds[u]), int(bounds[u + 1])
        events = [(tl[r], r, steps[r]) for r in range(lo, hi)]
        level, chain = _one_unit(events, k, window, strict)
        reached[u] = level
        times[u, : len(chain)] = chain
    return Units(keys, reached, times)
