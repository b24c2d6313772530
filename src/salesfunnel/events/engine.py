"""The funnel engines: per unit, the furthest step reached and the chain behind it.

Input: events already reduced to what the rules need, sorted by unit then
time (stable, so equal times keep the log's order): ``unit`` keys, ``t``
seconds, and per event the step numbers it matches (1-based; ``-s`` for an
exclusion that watches chains at step ``s - 1``, as PostHog encodes them).
Output: a :class:`Units` with, per unit, the furthest step (``-1`` when an
exclusion removed the unit) and the times of the chain that set it.

Three paths compute the same rules (:mod:`salesfunnel.events.funnel` states
them):

* :func:`ordered_fast`: ``order='ordered'``, each event matching at most one
  step. Vectorised numpy: per step, the first step-``k`` row after each chain
  at level ``k - 1`` (read off a running count), no Python loop per unit.
  Level ``k`` is entered by a step-``k`` event when the latest chain at level
  ``k - 1`` before it started at most ``W`` earlier; the chain keeps that
  start (the latest start: the most window left) and a chain already at level
  ``k`` is not entered twice. Exclusion rows (``watch``) mark chains and the
  unit's best chain as PostHog does (:func:`_marked`, :func:`_best`).
* :func:`unordered_fast`: ``order='unordered'``; per event taken as a
  window's first event, the distinct steps done within ``W``.
* :func:`strict_fast`: ``order='strict'``, each event matching at most one
  step, and no time at which a unit has events of different kinds
  (:func:`mixed_units` finds the units that do; they take the general path).
  Under strict, an event clears every level but its own step's, so a chain is
  a run of consecutive events with steps 1, 2, 3, ... inside the window; a
  repeat of step ``s >= 2`` right after step ``s`` changes nothing (it cannot
  enter ``s`` again and clears no other level held) and is dropped; an
  exclusion row can only mark the run just before it. Vectorised over the
  sorted rows: no Python loop per unit.
* :func:`state_machine`: the units the fast paths cannot take (an event
  matching several steps, an event that is both a step and an exclusion
  event, under strict a same-time group of different kinds, more than 62
  steps or exclusions; :func:`units_with` spreads such a row to its unit),
  and ``order='clickhouse'`` with modes. A plain loop over each unit's
  events: the slow, general path, and the reference the fast paths are
  tested against. Every result depends on a unit's own events only, so the
  other units of the same funnel still take the fast path.
"""

from __future__ import annotations

import math
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
    "whole_window",
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
    level before. Level ``k`` is entered, per chain at level ``k - 1``, by the
    first step-``k`` row after it and before the next chain at ``k - 1`` (the
    later chain, with the later start, takes the rows after it), when that row
    is in the chain's unit and window: a later row of the same stretch would
    find the chain at ``k`` already. The chain before each row is read off one
    running count of the level's rows (a buffer reused level after level, as
    fresh memory costs as much as the work here): no binary search, no Python
    loop per unit.

    ``watch`` (exclusions): per row, bit ``L`` set when the row is an exclusion
    event watching chains at step ``L`` (PostHog's ``-(L + 1)``), 0 for the
    others; such rows have step 0 and share their time with no row of another
    kind (see :func:`mixed_times`). See :func:`_marked` and :func:`_best`.
    """
    n = len(unit)
    pos_type = np.int32 if n < 2**31 - 1 else np.int64
    new_unit = np.empty(n, dtype=bool)
    new_unit[:1] = True
    np.not_equal(unit[1:], unit[:-1], out=new_unit[1:])
    keys = unit[new_unit]
    uid = np.cumsum(new_unit, dtype=pos_type)
    uid -= 1  # per row, its unit's position in ``keys``
    del new_unit
    ones = np.flatnonzero(step == 1)
    u1, t1 = uid.take(ones), t.take(ones)
    # Two step-1 events at one time start one chain (the second is "already reached").
    again = np.zeros(len(ones), dtype=bool)
    again[1:] = (u1[1:] == u1[:-1]) & (t1[1:] == t1[:-1])
    if again.any():
        keep = ~again
        ones, u1, t1 = ones[keep], u1[keep], t1[keep]
    levels = [_Level(ones, u1, t1, np.zeros(0, dtype=np.int64))]
    ghosts = [np.zeros(0, dtype=np.int64)]  # per level, the units of marked chains reaching it
    xrows = np.zeros(0, dtype=np.int64) if watch is None else np.flatnonzero(watch)
    count = np.empty(n, dtype=pos_type)
    limit = whole_window(window)
    for level in range(2, k + 1):
        prev = levels[-1]
        rows = np.flatnonzero(step == level)
        count.fill(0)
        count[prev.rows] = 1
        np.cumsum(count, out=count)  # per row, the chains at level - 1 up to it
        at = count.take(rows)
        first = np.empty(len(rows), dtype=bool)
        first[:1] = True
        np.not_equal(at[1:], at[:-1], out=first[1:])
        first &= at > 0
        # Selected by positions and take(): a boolean index of a mask this irregular
        # (and fancy indexing) cost about a fifth more of the call.
        sel = np.flatnonzero(first)
        rows, at = rows.take(sel), at.take(sel)
        at -= 1  # the latest chain at level - 1 before each row
        s = prev.start.take(at)
        ok = prev.unit.take(at) == uid.take(rows)
        ok &= (t.take(rows) - s) <= limit
        sel = np.flatnonzero(ok)
        rows, at, s = rows.take(sel), at.take(sel), s.take(sel)
        if watch is not None:
            # A marked chain does not enter the level: its step rows after the mark
            # reach it (the unit's furthest step may be there) but are not kept.
            xs = xrows[(watch[xrows] >> (level - 1)) & 1 == 1]
            marked = _marked(prev, xs, rows, at, count, uid, t, window)
            ghosts.append(_ghosts(prev, marked, step, level, count, uid, t, window))
            late = marked[at] < rows
            if late.any():
                rows, at, s = rows[~late], at[~late], s[~late]
        levels.append(_Level(rows, prev.unit.take(at), s, at))
    if watch is None:
        return _chains(keys, t, levels, k)
    return _best(keys, uid, t, levels, ghosts, xrows, watch, k, window)


def whole_window(window: float) -> float:
    """``window`` to compare differences of integer seconds with: ``d <= window`` and
    ``d <= floor(window)`` agree for every int64 ``d`` when ``0 < window < 2**53`` (numpy
    compares an int64 with a float as float64, exact up to ``2**53``), and a whole
    number compares without converting every ``d`` to a float (a tenth of the call)."""
    return math.floor(window) if 0 < window < 2**53 else window


class _Level(NamedTuple):
    rows: I64  # the rows that entered the level, sorted
    unit: npt.NDArray[np.integer]  # their unit's position in the keys
    start: I64  # their chain's start (s)
    parent: npt.NDArray[np.integer]  # their parent's position in the level before


_NEVER = np.iinfo(np.int64).max


def _marked(prev: _Level, xs: I64, rows: I64, at: npt.NDArray[np.integer], count: np.ndarray,
            uid: np.ndarray, t: I64, window: float) -> I64:  # fmt: skip
    """Per chain of ``prev``, the row from which it is marked (``_NEVER``: not marked).

    An exclusion row ``x`` (of ``xs``, sorted) marks the latest chain of
    ``prev`` before it (``count``: the running count of ``prev``'s rows), when
    ``x`` is inside that chain's window and the chain has not entered the next
    level yet: it entered when its first step row (``rows``, parents ``at``)
    comes before its first such exclusion row.
    """
    n = len(prev.rows)
    marked = np.full(n, _NEVER, dtype=np.int64)
    if not (n and len(xs)):
        return marked
    a = count[xs].astype(np.int64) - 1
    ok = a >= 0
    a[~ok] = 0
    ok &= prev.unit[a] == uid[xs]
    ok &= (t[xs] - prev.start[a]) <= window
    a, x = a[ok], xs[ok]
    marked[a[::-1]] = x[::-1]  # reversed: the first row per chain is written last
    entered = np.full(n, _NEVER, dtype=np.int64)
    entered[at] = rows
    marked[entered < marked] = _NEVER
    return marked


def _ghosts(prev: _Level, marked: I64, step: npt.NDArray[np.integer], level: int,
            count: np.ndarray, uid: np.ndarray, t: I64, window: float) -> I64:  # fmt: skip
    """The units of the marked chains of ``prev`` with a step-``level`` row after the mark,
    before the next chain of ``prev``, in their window (it reaches ``level``, marked)."""
    chain = np.flatnonzero(marked != _NEVER)
    rows = np.flatnonzero(step == level) if len(chain) else chain
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    j = np.searchsorted(rows, marked[chain])
    on = j < len(rows)
    r = rows[np.minimum(j, len(rows) - 1)]
    on &= count[r] - 1 == chain
    on &= uid[r] == prev.unit[chain]
    on &= (t[r] - prev.start[chain]) <= window
    return prev.unit[chain[on]].astype(np.int64)


def _chains(keys: I64, t: I64, levels: list[_Level], k: int) -> Units:
    """Per unit, its furthest level and the times of its first chain at that level."""
    reached = np.zeros(len(keys), dtype=np.int64)
    ends: list[tuple[np.ndarray, np.ndarray]] = [(keys[:0], keys[:0])] * k
    for level in range(k, 0, -1):
        lv = levels[level - 1]
        first = np.empty(len(lv.unit), dtype=bool)
        first[:1] = True
        np.not_equal(lv.unit[1:], lv.unit[:-1], out=first[1:])
        head = np.flatnonzero(first)  # per unit at this level, its first entry
        owner = lv.unit[head]
        new = reached[owner] == 0
        owner, head = owner[new], head[new]
        reached[owner] = level
        ends[level - 1] = (owner, head)
    return _trace(keys, t, levels, reached, ends)


def _trace(keys: I64, t: I64, levels: list[_Level], reached: I64,
           ends: list[tuple[np.ndarray, np.ndarray]]) -> Units:  # fmt: skip
    """The chain times of the units ``ends[L - 1][0]``, whose chain ends at level ``L``
    at position ``ends[L - 1][1]``, by parents; only the units with a chain are visited."""
    k = len(levels)
    times = np.full((len(keys), k), -1, dtype=np.int64)
    on: np.ndarray = keys[:0]  # the units whose chain is followed, and its position
    at: np.ndarray = keys[:0]
    for level in range(k, 0, -1):
        lv = levels[level - 1]
        units, pos = ends[level - 1]
        if len(units):
            on, at = np.concatenate((on, units)), np.concatenate((at, pos))
        times[on, level - 1] = t[lv.rows[at]]
        if level > 1:
            at = lv.parent[at]
    return Units(keys, reached, times)


def _walk(pos: I64, unit: npt.NDArray[np.integer], marked: I64) -> I64:
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
    keys: I64, uid: np.ndarray, t: I64, levels: list[_Level], ghosts: list[I64],
    xrows: I64, watch: I64, k: int, window: float,
) -> Units:  # fmt: skip
    """The ordered result with exclusions (``-1``: the unit's best chain was marked).

    PostHog's best is the first chain to reach the unit's furthest level, the
    marked chains reaching it (``ghosts``) included; the best is marked by an
    exclusion row watching that level inside its window (a ghost is marked
    already) and then replaced by the next chain to reach the level. A ghost
    only passes the best on to the next chain, so the walk needs the chains
    that entered the level only; the ghosts count for the furthest level.
    """
    reached = np.zeros(len(keys), dtype=np.int64)
    for level in range(1, k + 1):  # ascending: the furthest level is written last
        reached[levels[level - 1].unit] = level
        reached[ghosts[level - 1]] = level
    entry = np.full(len(keys), -1, dtype=np.int64)
    for level in range(1, k + 1):
        lv = levels[level - 1]
        sel = np.flatnonzero(reached[lv.unit] == level)
        pos, start, cu = lv.rows[sel], lv.start[sel], lv.unit[sel]
        marked = np.full(len(pos), _NEVER, dtype=np.int64)
        xs = xrows[(watch[xrows] >> level) & 1 == 1] if level < k else xrows[:0]
        if len(xs) and len(pos):
            x = xs[np.minimum(np.searchsorted(xs, pos), len(xs) - 1)]
            on = (x > pos) & (uid[x] == cu) & ((t[x] - start) <= window)
            marked[on] = x[on]
        end = _walk(pos, cu, marked)
        first = np.ones(len(cu), dtype=bool)
        first[1:] = cu[1:] != cu[:-1]
        owner = cu[first]
        reached[owner[end < 0]] = -1
        entry[owner[end >= 0]] = sel[end[end >= 0]]
    # Units whose furthest level only marked chains reached: removed.
    reached[reached > 0] = np.where(entry[reached > 0] >= 0, reached[reached > 0], -1)
    units = [np.flatnonzero(reached == level) for level in range(1, k + 1)]
    return _trace(keys, t, levels, reached, [(u, entry[u]) for u in units])


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
