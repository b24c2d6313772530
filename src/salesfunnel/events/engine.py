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
    "mixed_times",
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


def ordered_fast(
    unit: I64, t: I64, step: npt.NDArray[np.integer], k: int, window: float,
    watch: I64 | None = None,
) -> Units:  # fmt: skip
    """The ordered rules, vectorised; rows sorted by (unit, time, step), one step each.

    Each level is kept as the sorted rows that entered it, with their unit's
    position, their chain's start and the position of their parent in the
    level before, so level ``k`` looks only at the step-``k`` rows and finds,
    by one binary search each, the latest level-``k - 1`` row before it: no
    pass over every event per step, no search among the unit keys.

    ``watch`` (exclusions): per row, bit ``L`` set when the row is an exclusion
    event watching chains at step ``L`` (PostHog's ``-(L + 1)``), 0 for the
    others; such rows have step 0 and share their time with no row of another
    kind (see :func:`mixed_times`). See :func:`_excluded_from` and :func:`_best`.
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
    ghosts: list[_Level] = [_Level(*(np.zeros(0, dtype=np.int64),) * 4)]
    xrows = np.zeros(0, dtype=np.int64) if watch is None else np.flatnonzero(watch)
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
        if watch is not None:
            # A step event after its parent was marked: the chain reaches the level
            # (the unit's best may be it) but, marked, does not enter it.
            xs = xrows[(watch[xrows] >> (level - 1)) & 1 == 1]
            late = _excluded_from(prev, xs, rows, at, uid, t, window)[at] < rows
            ghosts.append(_Level(rows[late], u[late], s[late], at[late]))
            if late.any():
                rows, u, s, at = rows[~late], u[~late], s[~late], at[~late]
        # A chain already at this level (same start, same unit) is not entered again.
        again = np.zeros(len(rows), dtype=bool)
        again[1:] = (s[1:] == s[:-1]) & (u[1:] == u[:-1])
        keep = ~again
        levels.append(_Level(rows[keep], u[keep], s[keep], at[keep]))
    if watch is None:
        return _chains(keys, t, levels, k)
    return _best(keys, uid, t, levels, ghosts, xrows, watch, k, window)


class _Level(NamedTuple):
    rows: I64  # the rows that entered the level, sorted
    unit: I64  # their unit's position in the keys
    start: I64  # their chain's start (s)
    parent: I64  # their parent's position in the level before (empty for level 1)


_NEVER = np.iinfo(np.int64).max


def _excluded_from(prev: _Level, xs: I64, rows: I64, at: I64, uid: I64, t: I64,
                   window: float) -> I64:  # fmt: skip
    """Per chain of ``prev``, the row from which it is marked (``_NEVER``: not marked).

    An exclusion row ``x`` (of ``xs``, sorted) marks the latest chain of
    ``prev`` before it, when ``x`` is inside that chain's window and the chain
    has not entered the next level yet: it entered when its first step event
    ``rows`` (those whose parent is it, ``at``, inside its window) comes
    before its first such exclusion row.
    """
    n = len(prev.rows)
    marked = np.full(n, _NEVER, dtype=np.int64)
    if not (n and len(xs)):
        return marked
    a = np.searchsorted(prev.rows, xs) - 1
    ok = a >= 0
    a[~ok] = 0
    ok &= prev.unit[a] == uid[xs]
    ok &= (t[xs] - prev.start[a]) <= window
    a, x = a[ok], xs[ok]
    marked[a[::-1]] = x[::-1]  # reversed: the first row per chain is written last
    entered = np.full(n, _NEVER, dtype=np.int64)
    entered[at[::-1]] = rows[::-1]
    marked[entered < marked] = _NEVER
    return marked


def _chains(keys: I64, t: I64, levels: list[_Level], k: int) -> Units:
    """Per unit, its furthest level and the times of its first chain at that level."""
    reached = np.zeros(len(keys), dtype=np.int64)
    entry = np.full(len(keys), -1, dtype=np.int64)  # per unit, its chain's position in the level
    for level in range(k, 0, -1):
        lv = levels[level - 1]
        first = np.ones(len(lv.unit), dtype=bool)
        first[1:] = lv.unit[1:] != lv.unit[:-1]
        head = np.flatnonzero(first)  # per unit at this level, its first entry
        owner = lv.unit[head]
        new = reached[owner] == 0
        reached[owner[new]] = level
        entry[owner[new]] = head[new]
    return _trace(keys, t, levels, k, reached, entry)


def _trace(keys: I64, t: I64, levels: list[_Level], k: int, reached: I64, entry: I64) -> Units:
    """The chain times of each unit's entry ``entry[u]`` at level ``reached[u]``, by parents."""
    times = np.full((len(keys), k), -1, dtype=np.int64)
    cur = np.full(len(keys), -1, dtype=np.int64)  # per unit, its chain's position in the level
    for level in range(k, 0, -1):
        lv = levels[level - 1]
        new = np.flatnonzero(reached == level)
        cur[new] = entry[new]
        on = np.flatnonzero(cur >= 0)
        at = cur[on]
        times[on, level - 1] = t[lv.rows[at]]
        if level > 1:
            cur[on] = lv.parent[at]
    return Units(keys, reached, times)


def _walk(pos: I64, unit: I64, marked: I64) -> I64:
    """Per unit (in order of ``unit``), the chain that ends as its best, -1 if marked.

    ``pos`` are rows of the chains at a unit's furthest level, sorted;
    ``marked`` the row from which each is marked (``_NEVER``: never). The
    unit's best is its first chain; a marked best is replaced by the first
    chain after the marking row (PostHog keeps the first chain at the
    furthest step unless it was marked). Followed for every unit at once by
    pointer doubling: ``log2`` of the longest walk numpy passes, no loop per unit.
    """
    n = len(pos)
    nxt = np.searchsorted(pos, marked, side="right")
    inside = nxt < n
    inside[inside] = unit[nxt[inside]] == unit[inside]
    nxt[~inside] = n  # no later chain in the unit: it ends marked
    good = marked == _NEVER
    nxt[good] = np.flatnonzero(good)
    f = np.append(nxt, n)
    while True:
        g = f[f]
        if np.array_equal(g, f):
            break
        f = g
    first = np.ones(n, dtype=bool)
    first[1:] = unit[1:] != unit[:-1]
    out = f[:n][first]
    out[out == n] = -1
    return out


def _best(
    keys: I64, uid: I64, t: I64, levels: list[_Level], ghosts: list[_Level],
    xrows: I64, watch: I64, k: int, window: float,
) -> Units:  # fmt: skip
    """The ordered result with exclusions (``-1``: the unit's best chain was marked).

    PostHog's best is the first chain to reach the unit's furthest level, those
    reached by a marked parent (``ghosts``) included; the best is marked by an
    exclusion row watching that level inside its window (a ghost is marked
    already) and then replaced by the next chain to reach the level.
    """
    reached = np.zeros(len(keys), dtype=np.int64)
    for level in range(1, k + 1):  # ascending: the furthest level is written last
        reached[levels[level - 1].unit] = level
        reached[ghosts[level - 1].unit] = level
    entry = np.full(len(keys), -1, dtype=np.int64)
    for level in range(1, k + 1):
        real, ghost = levels[level - 1], ghosts[level - 1]
        sel_r = np.flatnonzero(reached[real.unit] == level)
        sel_g = np.flatnonzero(reached[ghost.unit] == level)
        if not (len(sel_r) or len(sel_g)):
            continue
        pos = np.concatenate((real.rows[sel_r], ghost.rows[sel_g]))
        idx = np.concatenate((sel_r, np.full(len(sel_g), -1, dtype=np.int64)))
        start = np.concatenate((real.start[sel_r], ghost.start[sel_g]))
        if len(sel_g):
            order = np.argsort(pos, kind="stable")
            pos, idx, start = pos[order], idx[order], start[order]
        cu = uid[pos]
        marked = np.where(idx < 0, pos, _NEVER)
        xs = xrows[(watch[xrows] >> level) & 1 == 1] if level < k else xrows[:0]
        if len(xs):
            j = np.minimum(np.searchsorted(xs, pos), len(xs) - 1)
            x = xs[j]
            on = (x > pos) & (uid[x] == cu) & ((t[x] - start) <= window) & (idx >= 0)
            marked[on] = x[on]
        end = _walk(pos, cu, marked)
        first = np.ones(len(cu), dtype=bool)
        first[1:] = cu[1:] != cu[:-1]
        owner = cu[first]
        reached[owner[end < 0]] = -1
        entry[owner[end >= 0]] = idx[end[end >= 0]]
    return _trace(keys, t, levels, k, reached, entry)


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


def mixed_times(unit: I64, t: I64, kind: I64) -> B:
    """Per row (sorted by unit, time): its unit holds rows of different kinds at its time."""
    n = len(unit)
    if not n:
        return np.zeros(0, dtype=bool)
    new = np.ones(n, dtype=bool)
    new[1:] = (unit[1:] != unit[:-1]) | (t[1:] != t[:-1])
    group = np.cumsum(new) - 1
    differs = np.zeros(n, dtype=bool)
    differs[1:] = ~new[1:] & (kind[1:] != kind[:-1])
    bad = np.zeros(int(group[-1]) + 1, dtype=bool)
    bad[group[differs]] = True
    out: B = bad[group]
    return out


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


def strict_fast(
    unit: I64, t: I64, step: I64, k: int, window: float, watch: I64 | None = None
) -> Units:
    """The strict rules, vectorised; every event of the units, sorted by (unit, time).

    ``step`` is 0 for an event matching no step. No unit may hold a time with
    events of different kinds (see :func:`mixed_units`). ``watch``: as for
    :func:`ordered_fast` (an exclusion event clears every step too).
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
    if watch is None:
        end = _first_per_unit(hit, n_units, unit_index)
    else:
        end = _strict_best(t, head, level, reached, hit, watch[keep], unit_index, window)
    times = np.full((n_units, k), -1, dtype=np.int64)
    for j in range(k):
        on = (end >= 0) & (reached > j)
        times[on, j] = t[end[on] - (reached[on] - 1) + j]
    return Units(keys, reached, times)


def _strict_best(t: I64, head: I64, level: I64, reached: I64, hit: B, watch: I64,
                 unit_index: I64, window: float) -> I64:  # fmt: skip
    """Per unit, the row ending the chain behind its level, -1 if none; ``reached`` set to
    -1 for the units whose best chain was marked.

    Under strict only the run just before an exclusion row holds a step (the
    exclusion row clears it right after), so the row marks the unit's best when
    that run is at the unit's furthest level, watched by the row, and both the
    run and the best started inside the window of the exclusion.
    """
    xs = np.flatnonzero(watch)
    xs = xs[xs > 0]
    p = xs - 1
    lv = level[p]
    on = (unit_index[p] == unit_index[xs]) & (lv > 0) & (lv == reached[unit_index[xs]])
    on &= ((watch[xs] >> lv) & 1 == 1) & ((t[xs] - t[head[p]]) <= window)
    xs = xs[on]
    pos = np.flatnonzero(hit)
    cu = unit_index[pos]
    marked = np.full(len(pos), _NEVER, dtype=np.int64)
    if len(xs):
        x = xs[np.minimum(np.searchsorted(xs, pos), len(xs) - 1)]
        on = (x > pos) & (unit_index[x] == cu) & ((t[x] - t[head[pos]]) <= window)
        marked[on] = x[on]
    best = _walk(pos, cu, marked)
    end = np.full(len(reached), -1, dtype=np.int64)
    first = np.ones(len(cu), dtype=bool)
    first[1:] = cu[1:] != cu[:-1]
    owner = cu[first]
    reached[owner[best < 0]] = -1
    end[owner[best >= 0]] = pos[best[best >= 0]]
    return end


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
