"""Rows of an event log in the engines' order: by unit, time, then step (stable).

Real logs often arrive already sorted by unit and time (an export per user or
session), and ClickHouse's ``windowFunnel`` skips its sort for them; so does
:func:`sort_rows`: one pass finds out, and then only the groups of events of
one unit at one time whose steps are out of order are put in step order.
Otherwise one stable sort of a combined integer key (or ``np.lexsort`` when
the keys' ranges do not fit in one int64).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["sort_order", "sort_rows"]

I64 = npt.NDArray[np.int64]
Arrays = tuple[I64, I64, I64, npt.NDArray[np.integer]]
_MAX_TIE = 64  # longer same-time groups: the whole sort instead of the in-place fix


def sort_order(unit: I64, t: I64, step: npt.NDArray[np.integer] | None = None,
               n_steps: int = 1) -> I64:  # fmt: skip
    """The stable order by unit, time (then step): ``np.lexsort`` of the keys, or, when
    their ranges fit in one int64, a stable argsort of one combined key (much faster,
    and linear on a log already sorted by unit and time)."""
    if not len(unit):
        return np.zeros(0, dtype=np.int64)
    u0, t0 = int(unit.min()), int(t.min())
    spans = (int(unit.max()) - u0 + 1, int(t.max()) - t0 + 1, n_steps)
    if spans[0] * spans[1] * spans[2] >= 2**62:
        keys = (t, unit) if step is None else (step, t, unit)
        return np.lexsort(keys).astype(np.int64)
    key = (unit - u0) * spans[1] + (t - t0)
    if step is not None:
        key = key * n_steps + step
    return np.argsort(key, kind="stable").astype(np.int64)


def sort_rows(rows: I64, unit: I64, t: I64, step: npt.NDArray[np.integer], n_steps: int) -> Arrays:
    """``rows`` and their unit, time and step, sorted by unit, time, then step (stable).

    The arrays are the caller's to give away: when they are already sorted by
    unit and time they are fixed in place and returned. The check compares
    neighbours in two boolean buffers (no combined key: fresh memory costs as
    much as the comparisons here).
    """
    n = len(unit)
    if n < 2:
        return rows, unit, t, step
    same = np.equal(unit[1:], unit[:-1])
    flag = np.less(unit[1:], unit[:-1])
    if not flag.any():
        np.less(t[1:], t[:-1], out=flag)
        flag &= same
        if not flag.any():  # sorted by unit and time: fix the ties' step order only
            same &= np.equal(t[1:], t[:-1], out=flag)
            np.less(step[1:], step[:-1], out=flag)
            flag &= same
            bad = np.flatnonzero(flag)
            if not len(bad):
                return rows, unit, t, step
            fix = _tie_groups(same, step, bad)
            if fix is not None:
                pos, src = fix
                for a in (rows, unit, t, step):
                    a[pos] = a[src]
                return rows, unit, t, step
    del same, flag
    order = sort_order(unit, t, step, n_steps)
    return rows[order], unit[order], t[order], step[order]


def _tie_groups(same: npt.NDArray[np.bool_], step: npt.NDArray[np.integer],
                bad: I64) -> tuple[I64, I64] | None:  # fmt: skip
    """Positions of the groups of equal unit and time (``same[i]``: rows ``i`` and
    ``i + 1`` are in one) holding ``bad`` (a step above the next one's), and the
    positions to read them from in step order; ``None`` for very long groups."""
    lo, hi, last = bad.copy(), bad + 1, len(same)
    for _ in range(_MAX_TIE):
        down = lo > 0
        down[down] = same[lo[down] - 1]
        up = hi < last
        up[up] = same[hi[up]]
        if not (down.any() or up.any()):
            break
        lo[down] -= 1
        hi[up] += 1
    else:
        return None
    lo, first = np.unique(lo, return_index=True)
    hi = hi[first]
    sizes = hi - lo + 1
    group = np.repeat(np.arange(len(lo), dtype=np.int64), sizes)
    pos = np.arange(len(group), dtype=np.int64) + np.repeat(lo - (np.cumsum(sizes) - sizes), sizes)
    src = pos[np.lexsort((step[pos], group))]  # stable: equal steps keep their order
    return pos, src
