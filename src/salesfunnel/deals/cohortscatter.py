"""The cohort funnel's per-deal facts without sorting the events (private).

:mod:`salesfunnel.deals.cohort` sorts the events by (deal, time, label code)
and reads each deal's facts off the sorted columns. In cumulative mode every
fact it needs is an extreme over a deal's events, so scatter reductions
(``np.minimum.at`` / ``np.maximum.at`` over the deal codes) give them in
linear time, with no sort:

* per deal and label code ``c`` (codes past won share one slot), the earliest
  time of an event with code ``c``. The deal's entry is the minimum of its
  row; its reach is the highest open stage or won with an event (lost and
  frozen reach nothing); the first reach of stage ``j`` is the earliest event
  of stage ``j`` or beyond or won (a jump reaches the stages it skips, the
  first win every stage; events after the first win come no earlier than it,
  so they never move a first reach); the first win is the earliest won event.
* per deal, its last event in the engine's order (time, then label code, then
  input row): the maximum of one packed ``(time, code, row)`` key. Its row
  gives the deal's owner (or group; packed below the row in the key when it
  fits, so read off the key itself) and its label the deal's state, its time
  the end of a lost or censored deal. Packing the row makes ties at equal
  times keep row order, as the sorted path does; numpy documents no order for
  fancy assignment with repeated indices, so that is not used.
* per deal, the last event with a known amount: the same maximum over the
  events whose amount is known.

Every per-deal array equals the sorted path's (a property test compares the
two on random logs). :func:`cohort_deals` returns ``None`` for what it does not
cover, and the caller takes the sorted path: logs with undated events (wide
form), empty selections, deal codes far sparser than the events, and keys that
do not fit in 63 bits.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import numpy.typing as npt

from .._arrays import CORES
from ..funnel.later import Later
from .cohorthalves import Halves, StageSets, filled, sets_by_halves, take
from .durations import DurationStats, group_stats, run_stats
from .idlookup import CodedIds
from .log import DealLog
from .pipeline import Pipeline
from .shared import CACHE_BYTES, F64, I64, B, compress

_SPARSE = 16  # deal codes per event beyond which the codes' rank table costs too much
_CACHED = CACHE_BYTES  # the scatter's tables beyond this: sparse codes renumbered (tests lower it)
_CHUNK = 1 << 18  # events per chunk of the scatter pass
_FEW_GROUPS = 1 << 8  # up to this many groups, stage times go in runs (one radix sort)
# Threads for the stage times (1: none), and the cohort deals from which they pay.
_STAGE_WORKERS = min(CORES, 2)
# Events from which the rank's marking and the scatter take two threads; from
# _THREADED_BIG on already when their tables outgrow the cache (_CACHED): in cache, 1e6
# events of 8,000 deals took 0.021 s on one thread and 0.026 on two, 1e6 of 456,000
# deals 0.098 and 0.084.
_THREADED = 1 << 20
_THREADED_BIG = 1 << 18
_STAGES_THREADED = 1 << 18  # cohort deals from which the stage times take two threads
_HALVES = 1 << 18  # deals from which the per-deal steps run in two halves at once
_OWNER_IN_KEY = True  # the owner packed in the last-event key when it fits (tests turn it off)


# A chunk of events ready to scatter: deal codes, slot indices, times, packed keys, and
# the keys of the events with a known amount (-1 for the others; None: no such scatter).
_Chunk = tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], np.ndarray, I64, I64 | None]


@dataclass(slots=True)
class CohortDeals:
    """Per cohort deal (in deal-code order), what the cohort funnel's results are built from."""

    ids: np.ndarray | CodedIds | Later  # looked up where read (text ids cost a string each)
    amounts: F64 | None  # last known amount, NaN when none
    group: npt.NDArray[np.int32] | I64
    reach: npt.NDArray[np.int16] | None  # furthest funnel stage (-1: none); or ``masks``
    times: list[list[DurationStats]]  # per funnel stage, per group: time to first reach
    seconds: I64  # time to won: to the first win, the loss, or the censoring
    kind: npt.NDArray[np.int8]  # 1 won, 2 lost, 0 censored
    known: B  # whether ``seconds`` is known
    state: npt.NDArray[np.integer]  # label code at as_of (won after any win)
    unknown: I64  # per group, deals left out for an unknown time
    masks: list[B] | None = None  # per funnel stage, the deals that reached it (not cumulative)
    sets: StageSets | None = None  # the stage sets of ``group`` and ``reach``, when computed
    ids_in_order: bool = False  # ``ids`` in the order of ``sets``' positions, not the deals'


def _two_threads(n_events: int, table_bytes: int) -> bool:
    """Whether a pass over ``n_events`` events into tables of ``table_bytes`` takes two threads."""
    big = n_events >= _THREADED_BIG and table_bytes > _CACHED
    return _STAGE_WORKERS > 1 and (n_events >= _THREADED or big)


def _bits(n: int) -> int:
    return max(int(n).bit_length(), 1)


_WORD = 32  # deal codes per word of the rank's bit set


@dataclass(slots=True)
class _Rank:
    """Dense renumbering of sparse deal codes, kept as a bit set with running counts.

    Per word of 32 codes, ``table`` holds the number of codes present below
    the word, shifted left 32 bits, and the word's bits (bit ``c % 32`` says
    whether code ``c`` occurs). A code's rank is its word's count plus the set
    bits below its own (``np.bitwise_count``): one gather per code from 8
    bytes per 32 codes, 8 MiB at 32 million codes, where a table of every
    code's rank is 128 MiB of fresh memory per call (and one of 16-bit words,
    16 MiB, with a 64K-entry popcount table, cost a fifth more CPU).
    """

    table: I64

    def of(self, code: npt.NDArray[np.intp]) -> I64:
        """The ranks of the (present) deal codes ``code``."""
        entry = self.table[np.right_shift(code, 5)]
        below = np.left_shift(np.uint32(1), np.bitwise_and(code, 31).astype(np.uint32))
        below -= np.uint32(1)  # the bits below the code's own
        below &= entry.astype(np.uint32)  # the low 32 bits: the word
        entry >>= 32
        entry += np.bitwise_count(below)
        return entry


def _rank(log: DealLog, width: int) -> tuple[_Rank | None, int, I64 | None]:
    """A renumbering of sparse deal codes into dense ones (in the same order).

    ``width``: the bytes per deal code of the scatter's tables. The codes are
    renumbered when there are more of them than events, or when the tables
    outgrow the cache (``_CACHED``) and at most half the codes occur (a
    random write per event then misses the cache several times as often as
    in the dense tables: 1e7 events of 80,000 deals with every seventh code,
    18 MiB of tables, took 0.18 s of scatter against 0.07 s renumbered). Codes
    of a table of ids (text ids) all occur: they are never renumbered.
    Returns the renumbering (``None`` when not renumbered), the number of
    deals (the codes' bound when not renumbered) and each new code's old one.
    """
    bound = log.deal_bound
    dense = bound <= len(log)
    if dense and (bound * width <= _CACHED or log.codes_held):
        return None, bound, None
    n_words = -(-bound // _WORD)
    present = np.zeros(_WORD * n_words, dtype=bool)

    def mark(lo: int, hi: int) -> None:  # the codes of events lo .. hi - 1
        for a in range(lo, hi, _CHUNK):
            present[np.subtract(log.deal[a : min(a + _CHUNK, hi)], log.deal_offset)] = True

    n = len(log)
    two = _two_threads(n, bound * width)
    # On two threads: each marks half the events (both only ever write True), then
    # one lists the present codes while the other counts the words' bits.
    with ThreadPoolExecutor(1) if two else contextlib.nullcontext() as pool:
        half = n // 2 if pool is not None else n
        other = None if pool is None else pool.submit(mark, half, n)
        mark(0, half)
        if other is not None:
            other.result()
        words = np.packbits(present, bitorder="little").view("<u4").astype(np.uint32, copy=False)
        counts = np.bitwise_count(words)
        if dense and 2 * int(counts.sum(dtype=np.int64)) > bound:
            return None, bound, None  # most codes occur: renumbering gains little
        listed = None if pool is None else pool.submit(np.flatnonzero, present)
        table = np.zeros(n_words, dtype=np.int64)
        np.cumsum(counts[:-1], out=table[1:])
        del counts
        table <<= 32
        table |= words
        old: I64 = np.flatnonzero(present) if listed is None else listed.result()
    return _Rank(table), old.size, old


def _ids_in_order(lookup: CodedIds, order: I64, at: I64 | slice, old: I64 | None) -> np.ndarray:
    """The ids of the cohort's deals ``order`` (positions in the cohort ``at``, every
    deal when a slice; ``old``: each dense code's deal code, when renumbered), by
    ``lookup`` (the log's table of ids): made when first read."""
    pos = order if isinstance(at, slice) else at[order]
    return replace(lookup, codes=pos if old is None else old[pos]).all()


def _extremes(
    log: DealLog,
    codes: npt.NDArray[np.int8],
    keep: B | None,
    k: int,
    base: int,
    small: bool,
    bits: tuple[int, int, int],
) -> tuple[np.ndarray, I64, I64 | None, I64 | None]:
    """The scatter reductions over the events, a chunk of events at a time.

    Per slot and deal the earliest relative time (slot-major, so each slot's
    row is contiguous), per deal the maximum packed (time, code, row) key (with
    the event's owner below the row when ``bits[2]``, its width, is not 0:
    the row is unique, so the owner never decides the maximum), and
    the same over the events with a known amount (``None`` without amounts);
    then each deal's old code (``None`` when not renumbered). A sink deal past
    the others takes the events after as_of. Chunks keep every per-event
    temporary small (no fresh pages to fault in, and in cache).
    """
    cb, rb, ob = bits  # ``rb``: the bits of the row and the owner below it
    tdtype = np.uint32 if small else np.int64
    # Bytes per deal code: k + 2 slots of times, the last event's key, and the last
    # event with a known amount's.
    width = (k + 2) * np.dtype(tdtype).itemsize + 8 * (1 if log.amount is None else 2)
    rank, n_deals, old = _rank(log, width)
    stride = n_deals + 1
    nan = None if log.amount is None else np.isnan(log.amount)
    pairs = _two_threads(len(log), stride * width)
    # The tables (fresh pages: each faulted in as it is first written) filled by halves.
    with ThreadPoolExecutor(1) if pairs else contextlib.nullcontext() as pool:
        earliest = filled((k + 2) * stride, np.iinfo(tdtype).max, tdtype, Halves(pool))
        last = filled(stride, -1, np.int64, Halves(pool))
        with_amount = None
        if nan is not None and nan.any():
            with_amount = filled(stride, -1, np.int64, Halves(pool))

    def prepare(a: int, b: int) -> _Chunk:
        """The chunk's deal codes, slot indices and keys: the scatter's inputs."""
        deal = np.subtract(log.deal[a:b], log.deal_offset, dtype=np.intp)
        if rank is not None:
            deal = rank.of(deal)
        if keep is not None:
            deal[~keep[a:b]] = n_deals
        code = codes[a:b]
        index = np.multiply(np.minimum(code, k + 1), stride, dtype=np.intp)
        index += deal
        key = np.subtract(log.order_bounds[0][a:b], base)
        time = key.astype(tdtype)  # a copy: the key is packed in place below
        key <<= cb
        key |= code
        key <<= rb
        rows = np.arange(a, b, dtype=np.int64)
        if ob:
            assert log.owner is not None
            rows <<= ob
            rows |= log.owner[a:b]
        key += rows
        known = None
        if with_amount is not None:
            assert nan is not None
            known = key.copy()
            known[nan[a:b]] = -1
        return deal, index, time, key, known

    def scatter(chunk: _Chunk) -> None:
        deal, index, time, key, known = chunk
        np.minimum.at(earliest, index, time)
        np.maximum.at(last, deal, key)
        if known is not None:
            assert with_amount is not None
            np.maximum.at(with_amount, deal, known)

    # On two threads, two chunks at once: each chunk's inputs are taken on its own
    # thread (numpy calls, each releasing the GIL), then both are scattered here.
    with ThreadPoolExecutor(1) if pairs else contextlib.nullcontext() as pool:
        for a in range(0, len(log), 2 * _CHUNK if pool is not None else _CHUNK):
            if pool is None:
                scatter(prepare(a, min(a + _CHUNK, len(log))))
            else:
                for chunk in _in_pairs(pool, prepare, a, len(log)):
                    scatter(chunk)
    per_slot = earliest.reshape(k + 2, stride)[:, :n_deals]
    last = last[:n_deals]
    if nan is not None:
        with_amount = last if with_amount is None else with_amount[:n_deals]
    return per_slot, last, with_amount, old


def _in_pairs(
    pool: ThreadPoolExecutor, of: Callable[[int, int], _Chunk], a: int, n: int
) -> list[_Chunk]:
    """The chunks from event ``a`` on, up to two (of ``n`` events), as ``of(lo, hi)``
    gives them: the first chunk's taken here and the second's on the ``pool``'s
    thread at the same time (``of`` is numpy calls, each releasing the GIL; the
    scatter after holds it, so the inputs are taken before it, not beside it)."""
    m = min(a + _CHUNK, n)
    b = min(m + _CHUNK, n)
    if m == b:
        return [of(a, m)]
    rest = pool.submit(of, m, b)
    return [of(a, m), rest.result()]


def _first_reaches(per_slot: np.ndarray) -> None:
    """Turn the slots' rows into the stages' first reaches, in place.

    The first reach of stage j is the earliest event of a slot j .. k (k: won):
    row j becomes the minimum of rows j .. k. The last row (won) stays.
    """
    for j in range(per_slot.shape[0] - 2, -1, -1):
        np.minimum(per_slot[j], per_slot[j + 1], out=per_slot[j])


def _reach_and_times(
    per_slot: np.ndarray,
    at: I64 | slice,
    entry: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    reach: npt.NDArray[np.int16],
    halves: Halves,
) -> tuple[list[list[DurationStats]], StageSets]:
    """Per funnel stage and group the times to first reach of the cohort's deals (of
    ``reach``); and the deals of each stage and group
    (:func:`~salesfunnel.deals.closed._stage_sets`).

    ``per_slot``'s rows are the first reaches (:func:`_first_reaches`). The
    stage sets put each group's deals in order of reach, furthest first, so
    the deals of group g that reached stage j are a prefix of g's run: a
    stage's times are gathered a group's prefix at a time, already in runs,
    touching only the deals that reached it (up to 256 groups; with more, a
    compress of the stage's deals and one sort, :func:`group_stats`). The
    statistics read only order statistics and exact sums, so the order
    within a group does not matter. ``entry`` is in ``per_slot``'s (unsigned)
    type, and so are the times: a time to first reach is one subtraction,
    exact because the first reach is not before the entry, and half the
    bytes of 64-bit times to partition. The statistics sum in 64 bits
    (:func:`run_stats`).

    The stages are independent: on a large cohort two threads take them one at
    a time, largest first (numpy releases the GIL in its loops), each thread
    with its own scratch; each stage's statistics are computed by the same steps.
    """
    k1 = per_slot.shape[0]  # the funnel stages: open ones and won
    counts, runs = sets_by_halves(group, n_groups, k1, reach, halves)
    order, begin = runs[0]  # every stage shares one order
    n = reach.size
    few = n_groups <= _FEW_GROUPS
    rows = entry_o = None
    if few:  # per deal in the stage sets' order: its row in ``per_slot`` and its entry
        rows = order if isinstance(at, slice) else take(at, order, halves)
        entry_o = take(entry, order, halves)

    # The stages, largest first, taken one at a time by whichever thread is free.
    todo = iter(sorted(range(k1), key=lambda j: -int(counts[:, j].sum())))
    lock = threading.Lock()

    def stages() -> dict[int, list[DurationStats]]:
        buf = np.empty(n, dtype=per_slot.dtype)  # this thread's scratch, reused by its stages
        out: dict[int, list[DurationStats]] = {}
        while True:
            with lock:
                j = next(todo, None)
            if j is None:
                return out
            if rows is not None and entry_o is not None:
                ends = np.zeros(n_groups + 1, dtype=np.int64)
                np.cumsum(counts[:, j], out=ends[1:])
                for a, o, m in zip(
                    begin.tolist(), ends[:-1].tolist(), counts[:, j].tolist(), strict=True
                ):
                    part = buf[o : o + m]
                    np.take(per_slot[j], rows[a : a + m], out=part, mode="clip")  # valid rows
                    part -= entry_o[a : a + m]
                v = buf[: int(ends[-1])]
                out[j] = run_stats(v, ends, np.zeros(n_groups, np.int64))
            else:  # many small groups: one sort serves them all (see group_stats)
                hit = reach >= j
                v = compress(hit, per_slot[j][at], buf)
                v -= entry[hit]
                out[j] = group_stats(group[hit], v, None, n_groups)

    two = _STAGE_WORKERS > 1 and n >= _STAGES_THREADED and k1 > 1
    with ThreadPoolExecutor(1) if two else contextlib.nullcontext() as pool:
        other = pool.submit(stages) if pool is not None else None
        times = stages()
        if other is not None:
            times.update(other.result())
    return [times[j] for j in range(k1)], (counts, runs)


def _entries(
    per_slot: np.ndarray,
    last: I64,
    reach: npt.NDArray[np.int16],
    present: B,
    period: tuple[int | None, int | None],
    base: int,
) -> Callable[[int, int], None]:
    """The steps per deal ``lo .. hi - 1`` once the slots are scattered: the stages'
    first reaches (:func:`_first_reaches`), the entry written over the last row (lost
    and frozen, read by nothing else), the reach (the first reaches are nested: their
    number less one) and whether the deal is in the cohort (``present``)."""
    last_row = per_slot.shape[0] - 1
    none = np.iinfo(per_slot.dtype).max
    s, e = period

    def run(lo: int, hi: int) -> None:
        part = per_slot[:, lo:hi]
        _first_reaches(part[:last_row])
        entry = np.minimum(part[0], part[last_row], out=part[last_row])
        r = reach[lo:hi]
        r.fill(-1)
        for j in range(last_row):  # nested stages: one more for each stage reached
            r += part[j] != none
        ok = np.greater_equal(last[lo:hi], 0, out=present[lo:hi])
        if s is not None:
            ok &= entry.astype(np.int64) >= s - base
        if e is not None:
            ok &= entry.astype(np.int64) < e - base

    return run


class _Decoded:
    """Per cohort deal, what its last event and first win say: group, kind of ending
    (1 won, 2 lost, 0 censored), whether its time is known, and state at as_of."""

    def __init__(self, n: int, by_owner: bool) -> None:
        self.group = np.zeros(n, dtype=np.int32)  # 0 when not by owner
        self.kind = np.empty(n, dtype=np.int8)
        self.known = np.empty(n, dtype=bool)
        self.state = np.empty(n, dtype=np.int8)
        self.by_owner = by_owner

    def decode(
        self,
        log: DealLog,
        last: I64,
        win: np.ndarray,
        entry: np.ndarray,
        pipe: Pipeline,
        bits: tuple[int, int, int],
        ends: tuple[int | None, int],
    ) -> Callable[[int, int], None]:
        """The steps per cohort deal ``lo .. hi - 1``: ``last`` (the packed key of its
        last event) becomes in place its time to won (to the first win ``win``, the
        loss or the censoring at ``ends[0]``, less its entry, at least 0). ``bits``:
        the widths of the row field, the label and the owner in the row field (0:
        the owner is read off the row)."""
        rb, cb, ob = bits
        t_cens, base = ends
        won_none = np.iinfo(win.dtype).max
        k = pipe.n_stages

        def run(lo: int, hi: int) -> None:
            key = last[lo:hi]
            field = np.bitwise_and(key, (1 << rb) - 1)  # the row (and owner)
            if self.by_owner and ob:
                self.group[lo:hi] = np.bitwise_and(field, (1 << ob) - 1)
            elif self.by_owner:
                assert log.owner is not None
                self.group[lo:hi] = log.owner[field]
            np.right_shift(key, rb, out=field)
            field &= (1 << cb) - 1
            code = field.astype(np.int8)  # the last event's label
            del field
            end = np.right_shift(key, rb + cb, out=key)  # its time
            w = win[lo:hi]
            won = w != won_none
            kind = self.kind[lo:hi]
            np.copyto(kind, np.where(code == pipe.lost_code, np.int8(2), np.int8(0)))
            np.copyto(kind, np.int8(1), where=won)
            np.copyto(end, w, where=won)  # the first win where won, else the last event
            censored = kind == 0
            if t_cens is None:  # pragma: no cover - a dated log has a latest time
                np.logical_not(censored, out=self.known[lo:hi])
                end[censored] = entry[lo:hi][censored]
            else:
                self.known[lo:hi] = True
                end[censored] = t_cens - base
            end -= entry[lo:hi]
            np.maximum(end, 0, out=end)
            np.copyto(self.state[lo:hi], np.where(won, np.int8(k), code))

        return run


def cohort_deals(
    log: DealLog,
    pipe: Pipeline,
    codes: npt.NDArray[np.int8],
    period: tuple[int | None, int | None],
    t: int | None,
    t_cens: int | None,
    by_owner: bool,
    n_groups: int,
) -> CohortDeals | None:
    """The cohort's per-deal facts by scatter reductions, or ``None`` (take the sorted path)."""
    # Long: one straight line of steps on per-deal arrays, each freed once read;
    # split into helpers, each would hold its arguments alive and raise the peak.
    n = len(log)
    if n == 0 or log.has_undated or log.deal_bound > _SPARSE * n + (1 << 20):
        return None
    lo = log.order_bounds[0]  # every event dated: its time
    keep = None
    if t is not None:
        keep = lo <= t
        if not keep.any():
            return None  # no event by as_of
        if keep.all():
            keep = None
    base, latest = log.time_span or (0, 0)  # every event dated: a span
    span = latest - base
    k = pipe.n_stages  # won's code; codes past it (lost, frozen) share slot k + 1
    rb, cb = _bits(n - 1), _bits(len(pipe.labels) - 1)
    if _bits(span) + cb + rb > 63:  # pragma: no cover - needs spans of centuries
        return None
    # The owner (a group code, below n_groups) packed below the row when it fits: the
    # last event's owner is then a mask of its key, not a gather by row.
    ob = _bits(n_groups - 1) if by_owner and _OWNER_IN_KEY else 0
    if _bits(span) + cb + rb + ob > 63:  # pragma: no cover - needs spans of centuries
        ob = 0
    rb += ob
    small = span < np.iinfo(np.uint32).max
    per_slot, last, with_amount, old = _extremes(log, codes, keep, k, base, small, (cb, rb, ob))
    del keep
    n_deals = last.size
    two = _STAGE_WORKERS > 1 and n_deals >= _HALVES
    with ThreadPoolExecutor(1) if two else contextlib.nullcontext() as pool:
        halves = Halves(pool)
        # Each stage's first reach (suffix minima of the slots), each deal's entry
        # written over the lost slot's row (read by nothing else: no new per-deal
        # array), its reach and whether it is in the cohort: in two halves at once.
        reach_all = np.empty(n_deals, dtype=np.int16)
        present = np.empty(n_deals, dtype=bool)
        halves(_entries(per_slot, last, reach_all, present, period, base), n_deals)
        entry_all = per_slot[k + 1]
        n_in = int(np.count_nonzero(present))
        # Every deal present: per-deal arrays read as views, not gathered.
        at: I64 | slice = slice(None) if n_in == n_deals else np.flatnonzero(present)
        del present
        entry_t = entry_all[at]
        reach = reach_all[at]
        del entry_all, reach_all
        amounts = None
        if with_amount is not None:  # before ``last`` (maybe the same array) is decoded in place
            assert log.amount is not None
            where = with_amount[at]
            amounts = np.full(n_in, np.nan)
            ok = where >= 0
            amounts[ok] = log.amount[np.right_shift(where[ok] & ((1 << rb) - 1), ob)]
            del where, ok
        last = last[at]  # this function's own array: decoded in place (the time, then the end)
        d = _Decoded(n_in, by_owner)
        win = per_slot[k][at]
        halves(d.decode(log, last, win, entry_t, pipe, (rb, cb, ob), (t_cens, base)), n_in)
        del win
        times, sets = _reach_and_times(
            per_slot[: k + 1], at, entry_t, d.group, n_groups, reach, halves
        )
        # The deals in the stage sets' order: text ids are made in it when read, not gathered.
        table = log.ids_later(np.empty(0, np.int64))  # the log's table of ids, no codes yet
        ids = Later(partial(_ids_in_order, table, sets[1][0][0], at, old))
    del entry_t, per_slot  # the per-slot table (its last views gone)
    seconds_won = last  # the ends, less the entries, at least 0 (decoded in place)
    return CohortDeals(
        ids=ids,
        amounts=amounts,
        group=d.group,
        reach=reach,
        times=times,
        seconds=seconds_won,
        kind=d.kind,
        known=d.known,
        state=d.state,
        unknown=np.zeros(n_groups, dtype=np.int64),
        sets=sets,
        ids_in_order=True,
    )
