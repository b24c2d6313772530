"""The chunked path's thread pool and size thresholds (events/chunked.py).

With the module's own defaults (no ``size`` or ``workers`` given), a log of
fewer than ``PARALLEL`` rows is one chunk in the calling thread, and a longer
one is cut into chunks run on the process's pool. The thresholds are made
tiny or huge here so that random logs take each path, and every result is
compared with the whole-log path and the plain-Python reference; each test
checks which threads ran the engine, so neither path can hide behind the
other. The pool lives on between calls: a forked child, an error in a chunk
and a call at interpreter exit must still give the answer.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from events.reference import funnel_counts
from events.test_event_chunked import _log, _same
from salesfunnel.events import chunked, engine, units as units_mod
from salesfunnel.events.units import FunnelOptions, UnitResults, unit_steps

from cli_helpers import run_python
from strategies import event_logs, funnel_steps

POOL = chunked._THREAD


@contextmanager
def _spied(parallel: int, chunk: int, workers: int = 3) -> Iterator[tuple[list[bool], list[str]]]:
    """The defaults set to ``parallel``, ``chunk`` and ``workers``; yields whether each call
    of the chunked path took the log, and the name of the thread of every engine call."""
    taken: list[bool] = []
    threads: list[str] = []
    real_by_chunks, real_ordered, real_unordered = (
        chunked.by_chunks, engine.ordered_fast, engine.unordered_fast
    )  # fmt: skip

    def by_chunks(*args: Any, **kwargs: Any) -> Any:
        out = real_by_chunks(*args, **kwargs)
        taken.append(out is not None)
        return out

    def ordered(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real_ordered(*args, **kwargs)

    def unordered(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real_unordered(*args, **kwargs)

    with (
        mock.patch.object(chunked, "PARALLEL", parallel),
        mock.patch.object(chunked, "CHUNK", chunk),
        mock.patch.object(chunked, "WORKERS", workers),
        mock.patch.object(units_mod, "by_chunks", by_chunks),
        mock.patch.object(engine, "ordered_fast", ordered),
        mock.patch.object(engine, "unordered_fast", unordered),
    ):
        yield taken, threads


def _whole_log(log: Any, opts: FunnelOptions) -> UnitResults:
    with mock.patch.object(units_mod, "by_chunks", return_value=None):
        return unit_steps(log, opts)


@settings(max_examples=120, deadline=None)
@given(
    event_logs(), funnel_steps(overlap=False), st.integers(min_value=1, max_value=8),
    st.sampled_from(["ordered", "unordered"]), st.booleans(),
    st.sampled_from([1, 2, 5, 10**6]), st.sampled_from([2, 3]),
)  # fmt: skip
def test_threads_and_one_thread_equal_the_whole_log(  # type: ignore[no-untyped-def]
    events, steps, window, order, breakdown, chunk, workers
) -> None:
    log = _log(events)
    opts = FunnelOptions(
        [s[0] for s in steps], dt.timedelta(seconds=window), order,
        breakdown="device" if breakdown else None,
    )  # fmt: skip
    want = _whole_log(log, opts)
    # PARALLEL = 1: every log is cut (in CHUNK rows, or evenly among the workers) and
    # the chunks go to the pool; a huge PARALLEL: one chunk, in this thread.
    with _spied(1, chunk, workers) as (taken, threads):
        pooled = unit_steps(log, opts)
    assert taken == [True]
    assert len(threads) >= 2 or chunk > 1  # every log has two units or more: with CHUNK 1,
    # two chunks or more (a unit longer than CHUNK rows may make one chunk of the log)
    if len(threads) >= 2:
        assert all(name.startswith(POOL) for name in threads)
    else:
        assert threads == [threading.current_thread().name]
    with _spied(10**9, chunk, workers) as (taken, threads):
        alone = unit_steps(log, opts)
    assert taken == [True]
    assert threads == [threading.current_thread().name]
    for got in (pooled, alone):
        _same(got.total, want.total)
        assert list(got.by) == list(want.by)
        for g in want.by:
            _same(got.by[g], want.by[g])
    counts, _, _ = funnel_counts(events, steps, window, order=order)
    assert [int((pooled.total.reached >= j + 1).sum()) for j in range(len(steps))] == counts


def test_chunks_shared_evenly_below_chunk_rows() -> None:
    # 12 units of 3 rows: with CHUNK above the log, PARALLEL below it and 3 workers,
    # three chunks of 12 rows; below PARALLEL, one chunk of 36.
    entity = np.repeat(np.arange(12, dtype=np.int64), 3)
    t = np.tile(np.array([0, 1, 2], dtype=np.int64), 12)
    ev = np.tile(np.array([1, 2, 3], dtype=np.int16), 12)
    table = np.array([0, 1, 2, 3], dtype=np.int8)
    sizes: list[int] = []

    def run(u: Any, tt: Any, s: Any, k: int, w: float) -> engine.Units:
        sizes.append(len(u))
        return engine.ordered_fast(u, tt, s, k, w)

    for parallel, want in ((10, [12, 12, 12]), (37, [36])):
        sizes.clear()
        with mock.patch.object(chunked, "PARALLEL", parallel), \
                mock.patch.object(chunked, "WORKERS", 3):  # fmt: skip
            got = chunked.by_chunks(entity, t, ev, table, 3, 5.0, run)
        assert got is not None
        assert sorted(sizes) == want
        assert got[0].keys.tolist() == list(range(12))
        assert got[0].reached.tolist() == [3] * 12
        assert got[0].times.tolist() == [[0, 1, 2]] * 12


def test_an_error_in_a_chunk_reaches_the_caller_and_the_pool_still_works() -> None:
    entity = np.arange(6, dtype=np.int64)
    t = np.zeros(6, dtype=np.int64)
    ev = np.ones(6, dtype=np.int16)
    table = np.array([0, 1], dtype=np.int8)

    def broken(u: Any, *args: Any) -> engine.Units:
        if int(u[0]) == 3:
            raise MemoryError("chunk 3")
        return engine.ordered_fast(u, *args)

    with pytest.raises(MemoryError, match="chunk 3"):
        chunked.by_chunks(entity, t, ev, table, 1, 1.0, broken, size=1, workers=2)
    got = chunked.by_chunks(entity, t, ev, table, 1, 1.0, engine.ordered_fast, size=1, workers=2)
    assert got is not None
    assert got[0].reached.tolist() == [1] * 6


def _child(out: Any) -> None:
    entity = np.repeat(np.arange(4, dtype=np.int64), 2)
    t = np.tile(np.array([0, 1], dtype=np.int64), 4)
    ev = np.tile(np.array([1, 2], dtype=np.int16), 4)
    table = np.array([0, 1, 2], dtype=np.int8)
    got = chunked.by_chunks(entity, t, ev, table, 2, 1.0, engine.ordered_fast, size=2, workers=2)
    out.put(None if got is None else got[0].reached.tolist())


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_a_forked_child_gets_a_pool_of_its_own() -> None:
    # The parent's pool is in use (its threads exist); the child's copy has no threads.
    _child(multiprocessing.Queue())
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_child, args=(out,))
    child.start()
    child.join(120)  # a child waiting on the parent's threads would never end
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0
    assert out.get(timeout=5) == [2, 2, 2, 2]


def test_a_call_at_interpreter_exit_runs_in_the_calling_thread() -> None:
    # At exit concurrent.futures takes no more work: the chunks run in this thread.
    code = """
import atexit, threading
import numpy as np
from salesfunnel.events import chunked, engine
e = np.repeat(np.arange(3, dtype=np.int64), 2)
t = np.tile(np.array([0, 5], dtype=np.int64), 3)
ev = np.tile(np.array([1, 2], dtype=np.int16), 3)
table = np.array([0, 1, 2], dtype=np.int8)
def call(when):
    names = []
    def run(*a):
        names.append(threading.current_thread().name)
        return engine.ordered_fast(*a)
    got = chunked.by_chunks(e, t, ev, table, 2, 4.0, run, size=2, workers=2)
    print(when, got[0].reached.tolist(), sorted(set(names)))
call("before")
atexit.register(call, "exit")
"""
    lines = run_python(code).splitlines()
    assert lines[0].startswith("before [1, 1, 1] ['salesfunnel-chunks")
    assert lines[1] == "exit [1, 1, 1] ['MainThread']"


def test_an_interrupt_while_waiting_cancels_the_chunks_not_begun() -> None:
    # Ctrl-C while the caller waits: the interrupt reaches the caller, the chunks not
    # begun are dropped (at most one a thread ran), and the pool serves the next call.
    entity = np.arange(8, dtype=np.int64)
    t = np.zeros(8, dtype=np.int64)
    ev = np.ones(8, dtype=np.int16)
    table = np.array([0, 1], dtype=np.int8)
    release = threading.Event()
    ran: list[int] = []

    def held(u: Any, *args: Any) -> engine.Units:
        ran.append(int(u[0]))
        release.wait(60)
        return engine.ordered_fast(u, *args)

    def interrupted(self: Any, timeout: float | None = None) -> Any:
        raise KeyboardInterrupt

    with mock.patch.object(chunked.Future, "result", interrupted), pytest.raises(KeyboardInterrupt):
        chunked.by_chunks(entity, t, ev, table, 1, 1.0, held, size=1, workers=2)
    release.set()
    # Both threads take a task queued after the eight chunks only once each is done
    # with what it took before: then every chunk has run or been dropped.
    both = threading.Barrier(3)
    pool = chunked._pool(2)
    waits = [pool.submit(both.wait, 60) for _ in range(2)]
    both.wait(60)
    for w in waits:
        w.result()
    assert len(ran) <= 2
    before = len(ran)
    got = chunked.by_chunks(entity, t, ev, table, 1, 1.0, held, size=1, workers=2)
    assert chunked._pool(2) is pool
    assert got is not None
    assert got[0].reached.tolist() == [1] * 8
    assert sorted(ran[before:]) == list(range(8))
