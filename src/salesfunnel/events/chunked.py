"""The vectorised engines run chunk by chunk on a log already sorted by unit.

Most logs arrive grouped by user or session (an export per unit), and the
benchmark's log is. Then every unit's events are one run of rows, and the
engines (:func:`~.engine.ordered_fast`, :func:`~.engine.unordered_fast`),
whose result for a unit depends on that unit's events only, can take the
log a few hundred thousand rows at a time, each chunk ending where a unit
ends. Their temporaries are then a few MiB, reused chunk after chunk from
the allocator's free lists, instead of hundreds of MiB of freshly mapped
pages per call: at 10 million events most of the call's CPU time was the
kernel faulting those pages in (and zeroing or compacting huge pages), and
more so after other libraries had churned the process's memory.

:func:`by_chunks` checks that the log's unit keys never decrease (one
comparison per row, chunk by chunk) and returns ``None`` as soon as they
do; the caller then sorts the whole log as before. Inside a chunk the rows
go through the same :func:`~.rowsort.sort_rows` as the whole log would (by
time, then step, stable), so each unit sees its events in the same order and
the result is the same, unit by unit; the chunks' units are disjoint and in
key order, so their results are simply concatenated.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from . import engine as eng
from .rowsort import sort_rows

__all__ = ["CHUNK", "by_chunks"]

I64 = npt.NDArray[np.int64]
Engine = Callable[[I64, I64, npt.NDArray[np.integer], int, float], eng.Units]
Extra = Callable[[eng.Units, I64, npt.NDArray[np.integer]], np.ndarray]
CHUNK = 1 << 18  # rows of the log per chunk (more when a unit is longer)


def _cut(entity: I64, a: int, size: int) -> int:
    """One past the last row of the unit holding row ``a + size - 1`` (for sorted keys),
    or -1 when that cannot be (the keys are not sorted)."""
    n = len(entity)
    c = a + size
    if c >= n:
        return n
    b = int(np.searchsorted(entity, entity[c - 1], side="right"))
    return b if b >= c else -1


def by_chunks(
    entity: I64, t_all: I64, event: npt.NDArray[np.integer], table: npt.NDArray[np.integer],
    k: int, window: float, run: Engine, extra: Extra | None = None, size: int = 0,
) -> tuple[eng.Units, np.ndarray | None] | None:  # fmt: skip
    """``run`` on the step rows of a log sorted by unit, chunk by chunk; ``None`` if unsorted.

    ``table`` maps an event code to its step (0: none; every code matches at
    most one step). ``extra(units, rows, steps)``, if given, is called per
    chunk with the chunk's result and its step rows (log positions) sorted as
    the engine saw them, and returns one value per unit; the values are
    concatenated in unit order.
    """
    size = size or CHUNK
    n = len(entity)
    if not n:
        return None
    parts: list[eng.Units] = []
    extras: list[np.ndarray] = []
    a, last = 0, None
    while a < n:
        b = _cut(entity, a, size)
        if b < 0:
            return None
        u = entity[a:b]
        if (last is not None and u[0] <= last) or bool(np.less(u[1:], u[:-1]).any()):
            return None  # keys not sorted: a unit could span two chunks
        last = u[-1]
        st = table[event[a:b]]
        rows = np.flatnonzero(st)
        rows, uu, tt, s = sort_rows(rows + a, u[rows], t_all[a:b][rows], st[rows], k + 1)
        units = run(uu, tt, s, k, window)
        parts.append(units)
        if extra is not None:
            extras.append(extra(units, rows, s))
        a = b
    units = eng.Units(
        np.concatenate([p.keys for p in parts]),
        np.concatenate([p.reached for p in parts]),
        np.concatenate([p.times for p in parts]),
    )
    return units, (None if extra is None else np.concatenate(extras))
