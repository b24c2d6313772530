"""ClickHouse's ``windowFunnel(window, modes...)`` levels: ``order="clickhouse"``.

The rules, written from ClickHouse's documentation and its stateless tests
(``00632_aggregation_window_funnel``), which ``tests/events`` replays:

* A unit's events are listed once per condition (step) they match; under
  ``strict_order`` an event matching none is listed as condition 0. The list
  is sorted by (time, condition) (with ``strict_once``: by time, condition,
  then event), so at one time lower steps come first and one event may fill
  several steps (unless ``strict_once``).
* Walking the list, level 1 is (re)started by every step-1 event: it
  records (start, time). Step ``i > 1`` is reached when level ``i - 1`` is
  held and ``time <= start + W`` (its start is carried along); a later step-1
  event overwrites level 1 only, deeper levels keep their older starts.
* ``strict_deduplication``: a step ``i > 1`` met again while level ``i`` is
  held ends the walk. ``strict_order``: an event that matches no step ends the
  walk after the first step-1 event, and so does a step ``i > 1`` whose level
  ``i - 1`` is not held (the result is then the first level not held);
  ``allow_reentry`` (needs ``strict_order``) skips such a step instead.
  ``strict_increase``: a step must come strictly after the previous step's
  time. ``strict_once``: one event fills at most one step of a chain, and every
  chain is kept (not only the latest per level).
* The level is the deepest level held; reaching the last step ends the walk.
  With one step and without ``strict_order``, any match gives level 1.

:func:`window_funnel` is a plain loop per unit; without modes and with steps
no event matches twice, :func:`~salesfunnel.event_funnel` takes the
vectorised ordered path instead (the same levels; tested against this loop).

There is no chain behind a level (ClickHouse returns the level only), so an
``order="clickhouse"`` funnel has no times between steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .engine import Units

__all__ = ["MODES", "Modes", "window_funnel"]

MODES = ("strict_order", "strict_deduplication", "strict_increase", "strict_once", "allow_reentry")
"""The ``windowFunnel`` modes ``event_funnel(order="clickhouse", modes=...)`` accepts."""

I64 = npt.NDArray[np.int64]


class Modes(NamedTuple):
    """The modes asked for, as flags."""

    order: bool = False
    dedup: bool = False
    increase: bool = False
    once: bool = False
    reentry: bool = False

    @classmethod
    def of(cls, modes: Sequence[str]) -> Modes:
        return cls(*(m in modes for m in MODES))


def _deepest(held: Sequence[object]) -> int:
    """The deepest level held (``held[i]`` truthy: level ``i + 1`` is held)."""
    for level in range(len(held), 0, -1):
        if held[level - 1]:
            return level
    return 0


def _first_gap(held: Sequence[object]) -> int:
    return next(i for i, h in enumerate(held) if not h)


def _level(events: list[tuple[int, int]], k: int, window: float, m: Modes) -> int:
    """The level of one unit's sorted ``(time, condition)`` list (no ``strict_once``)."""
    held: list[tuple[int, int] | None] = [None] * k  # per level: (start, time)
    started = False
    for t, c in events:
        i = c - 1
        if i == -1:  # listed only under strict_order
            if started:
                break
            continue
        if i == 0:
            held[0] = (t, t)
            started = True
        elif m.dedup and held[i] is not None:
            return _deepest(held)
        elif m.order and started and held[i - 1] is None:
            if m.reentry:
                continue
            return _first_gap(held)
        elif (prev := held[i - 1]) is not None:
            ok = t <= prev[0] + window and (not m.increase or prev[1] < t)
            if ok:
                held[i] = (prev[0], t)
                if i + 1 == k:
                    return k
    return _deepest(held)


class _Seq(NamedTuple):
    start: int
    last: int
    path: tuple[int, ...]  # the events that filled its steps


def _level_once(events: list[tuple[int, int, int]], k: int, window: float, m: Modes) -> int:
    """The level of one unit's sorted ``(time, condition, event)`` list under ``strict_once``."""
    seqs: list[list[_Seq]] = [[] for _ in range(k)]
    started = False
    for t, c, eid in events:
        i = c - 1
        if i == -1:
            if started:
                break
            continue
        if i == 0:
            seqs[0].append(_Seq(t, t, (eid,)))
            started = True
        elif m.dedup and seqs[i]:
            return _deepest(seqs)
        elif m.order and started and not seqs[i - 1]:
            if m.reentry:
                continue
            return _first_gap(seqs)
        elif seqs[i - 1]:
            prev, j = seqs[i - 1], 0
            while j < len(prev):
                s = prev[j]
                inside = t <= s.start + window
                if not inside and len(prev) > 1:
                    del prev[j]  # out of the window; the last one is kept
                    continue
                ok = inside and eid not in s.path and (not m.increase or s.last < t)
                if ok:
                    seqs[i].append(_Seq(s.start, t, (*s.path, eid)))
                    if i + 1 == k:
                        return k
                j += 1
    return _deepest(seqs)


def _unit_level(t: list[int], conds: list[tuple[int, ...]], k: int, window: float, m: Modes) -> int:
    """One unit: its rows' times and matched steps (empty: an event matching none)."""
    if not m.order and k == 1:
        return 1 if any(conds) else 0
    # Condition 0 lists an event that matches no step (kept only under strict_order).
    rows = [(ti, r, cs or (0,)) for r, (ti, cs) in enumerate(zip(t, conds, strict=True))]
    listed = sorted((ti, c, r) for ti, r, cs in rows for c in cs if c or m.order)
    if m.once:
        return _level_once(listed, k, window, m)
    return _level([(ti, c) for ti, c, _ in listed], k, window, m)


def window_funnel(
    unit: I64, t: I64, conds: list[tuple[int, ...]], k: int, window: float, modes: Sequence[str]
) -> Units:
    """Per unit, ClickHouse's level; rows sorted by unit, ``conds[r]`` the steps row ``r`` matches.

    Without ``strict_order`` only rows matching some step matter; with it,
    every event of the unit.
    """
    m = Modes.of(modes)
    n = len(unit)
    first = np.flatnonzero(np.concatenate(([True], unit[1:] != unit[:-1]))) if n else unit
    bounds = np.append(first, n).tolist()
    keys = unit[first] if n else np.zeros(0, dtype=np.int64)
    reached = np.zeros(len(keys), dtype=np.int64)
    tl = t.tolist()
    for u in range(len(keys)):
        lo, hi = bounds[u], bounds[u + 1]
        reached[u] = _unit_level(tl[lo:hi], conds[lo:hi], k, window, m)
    return Units(keys.astype(np.int64), reached, np.full((len(keys), k), -1, dtype=np.int64))
