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

The chunks are shared by the threads of one pool kept for the life of the
process (:func:`_pool`): starting threads per call cost more than the work
on a log of a million events, and each new thread's memory came from a fresh
malloc arena whose pages the kernel had to fault in again (6,000 faults per
call of a 1e6-event log once chdb was loaded in the process). The pool is
made on first use, made anew in a forked child (whose copy has no threads),
and its idle threads are joined at exit as every ``concurrent.futures``
pool's are. A log of fewer than :data:`PARALLEL` rows is taken in one thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from .._arrays import CORES
from . import engine as eng
from .rowsort import sort_rows

__all__ = ["CHUNK", "PARALLEL", "WORKERS", "by_chunks"]

I64 = npt.NDArray[np.int64]
Engine = Callable[[I64, I64, npt.NDArray[np.integer], int, float], eng.Units]
Extra = Callable[[eng.Units, I64, npt.NDArray[np.integer]], np.ndarray]
Part = tuple[eng.Units, np.ndarray | None]  # one chunk's units and extra values
CHUNK = 1 << 18  # rows of the log per chunk (more when a unit is longer)
WORKERS = min(CORES, 4)
PARALLEL = 1 << 16  # rows: a shorter log is one chunk, in the calling thread
_THREAD = "salesfunnel-chunks"
_pools: dict[int, ThreadPoolExecutor] = {}  # by number of threads
_lock = threading.Lock()


def _forget_pools() -> None:
    """In a forked child: the parent's pools have no threads here (and the lock may be held)."""
    global _lock
    _pools.clear()
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_forget_pools)


def _pool(workers: int) -> ThreadPoolExecutor:
    """The process's pool of ``workers`` threads, made on first use."""
    with _lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix=_THREAD)
        return pool


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
    concatenated in unit order. The chunks are of ``size`` rows (default:
    :data:`CHUNK`, or the log shared evenly among the workers when that is
    less, one chunk below :data:`PARALLEL` rows) and shared among ``workers``
    threads (default :data:`WORKERS`; numpy releases the GIL in its loops);
    their results are put together in chunk order, whichever thread ran them.
    """
    n = len(entity)
    workers = workers or WORKERS
    if not size:
        size = n if n < PARALLEL else min(CHUNK, -(-n // workers))
    bounds = _bounds(entity, size) if n else None
    if bounds is None:
        return None

    def one(ab: tuple[int, int]) -> tuple[eng.Units, np.ndarray | None]:
        a, b = ab
        st = table[event[a:b]]
        rows = np.flatnonzero(st != 0)  # a bool mask: numpy's fast nonzero (int8: 4x slower)
        uu, tt, s = entity[a:b].take(rows), t_all[a:b].take(rows), st.take(rows)
        rows, uu, tt, s = sort_rows(rows + a, uu, tt, s, k + 1)
        units = run(uu, tt, s, k, window)
        return units, (None if extra is None else extra(units, rows, s))

    parts = _map(one, bounds, min(workers, len(bounds)))
    units = eng.Units(
        np.concatenate([p.keys for p, _ in parts]),
        np.concatenate([p.reached for p, _ in parts]),
        np.concatenate([p.times for p, _ in parts]),
    )
    extras = [e for _, e in parts if e is not None]
    return units, (np.concatenate(extras) if extra is not None else None)


def _map(one: Callable[[tuple[int, int]], Part], bounds: list[tuple[int, int]],
         workers: int) -> list[Part]:  # fmt: skip
    """``one`` of every chunk, in chunk order: on the pool's threads when there are
    several workers, else (and inside a thread of the pool itself) in this thread."""
    if workers < 2 or threading.current_thread().name.startswith(_THREAD):
        return [one(ab) for ab in bounds]
    pool = _pool(workers)
    futures: list[Future[Part]] = []
    try:
        try:
            for ab in bounds:
                futures.append(pool.submit(one, ab))
        except RuntimeError:  # the interpreter is exiting: the pool takes no more work
            return [one(ab) for ab in bounds]
        return [f.result() for f in futures]
    finally:  # after an error or an interrupt, the chunks not begun are dropped
        for f in futures:
            f.cancel()
