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

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from . import engine as eng
from .rowsort import sort_rows

__all__ = ["CHUNK", "WORKERS", "by_chunks"]

I64 = npt.NDArray[np.int64]
Engine = Callable[[I64, I64, npt.NDArray[np.integer], int, float], eng.Units]
Extra = Callable[[eng.Units, I64, npt.NDArray[np.integer]], np.ndarray]
CHUNK = 1 << 18  # rows of the log per chunk (more when a unit is longer)
WORKERS = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else
              (os.cpu_count() or 1), 4)  # fmt: skip


def _cut(entity: I64, a: int, size: int) -> int:
    """One past the last row of the unit holding row ``a + size - 1`` (for sorted keys),
    or -1 when that cannot be (the keys are not sorted)."""
    n = len(entity)
    c = a + size
    if c >= n:
        return n
    b = int(np.searchsorted(entity, entity[c - 1], side="right"))
    return b if b >= c else -1


def _bounds(entity: I64, size: int) -> list[tuple[int, int]] | None:
    """The chunks ``[a, b)`` of rows, each ending where a unit ends; ``None`` when the
    keys ever decrease (a unit could then span two chunks)."""
    n = len(entity)
    out: list[tuple[int, int]] = []
    a = 0
    while a < n:
        b = _cut(entity, a, size)
        if b < 0 or (a and entity[a] <= entity[a - 1]):
            return None
        if bool(np.less(entity[a + 1 : b], entity[a : b - 1]).any()):
            return None
        out.append((a, b))
        a = b
    return out


def by_chunks(
    entity: I64, t_all: I64, event: npt.NDArray[np.integer], table: npt.NDArray[np.integer],
    k: int, window: float, run: Engine, extra: Extra | None = None, size: int = 0,
    workers: int = 0,
) -> tuple[eng.Units, np.ndarray | None] | None:  # fmt: skip
    """``run`` on the step rows of a log sorted by unit, chunk by chunk; ``None`` if unsorted.

    ``table`` maps an event code to its step (0: none; every code matches at
    most one step). ``extra(units, rows, steps)``, if given, is called per
    chunk with the chunk's result and its step rows (log positions) sorted as
    the engine saw them, and returns one value per unit; the values are
    concatenated in unit order. The chunks are shared among ``workers``
    threads (default :data:`WORKERS`; numpy releases the GIL in its loops);
    their results are put together in chunk order, whichever thread ran them.
    """
    bounds = _bounds(entity, size or CHUNK) if len(entity) else None
    if bounds is None:
        return None

    def one(ab: tuple[int, int]) -> tuple[eng.Units, np.ndarray | None]:
        a, b = ab
        st = table[event[a:b]]
        rows = np.flatnonzero(st)
        rows, uu, tt, s = sort_rows(rows + a, entity[a:b][rows], t_all[a:b][rows], st[rows], k + 1)
        units = run(uu, tt, s, k, window)
        return units, (None if extra is None else extra(units, rows, s))

    workers = min(workers or WORKERS, len(bounds))
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(one, bounds))
    else:
        parts = [one(ab) for ab in bounds]
    units = eng.Units(
        np.concatenate([p.keys for p, _ in parts]),
        np.concatenate([p.reached for p, _ in parts]),
        np.concatenate([p.times for p, _ in parts]),
    )
    extras = [e for _, e in parts if e is not None]
    return units, (np.concatenate(extras) if extra is not None else None)
