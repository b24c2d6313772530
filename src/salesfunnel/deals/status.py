"""The state of every deal at a moment: the one place that decides a deal's status.

The analyses and the report's deal list read a deal's status from here, by the
shared rules (:mod:`salesfunnel.deals.shared`): the label of its last event at
or before ``as_of``; an undated event that may fall on either side of
``as_of`` makes the status unknown rather than guessed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._format import fmt_number
from .._time import outside_level
from . import engine as eng
from .log import DealLog
from .pipeline import Pipeline
from .shared import CACHE_BYTES, F64, I64, B, Instant, parse_instant

__all__ = [
    "NOT_STARTED",
    "UNKNOWN",
    "DealStates",
    "LooksLikeEventLogWarning",
    "deal_states",
    "event_log_note",
    "reopened_deals",
    "warn_if_event_log",
]

NOT_STARTED = -1
"""Status code of a deal whose events all come after ``as_of``."""
UNKNOWN = -2
"""Status code of a deal with an undated event that may fall on either side of ``as_of``."""


@dataclass(frozen=True, slots=True)
class DealStates:
    """Per deal of the log, in the order of ``DealLog.deal_ids``.

    ``label`` is the pipeline code of the deal's last event at or before
    ``as_of`` (``< pipeline.n_stages``: open at that stage; else won, lost or
    frozen), :data:`NOT_STARTED` or :data:`UNKNOWN`. ``owner`` is the owner
    code on that event, or on the deal's last event when it has none (-1
    without owners). ``amount`` is the last known amount at or before
    ``as_of``, else the last known one at all (NaN: none). ``first`` and
    ``last`` are the deal's first and last dated events in seconds, valid where
    ``dated``.
    """

    pipeline: Pipeline
    ids: np.ndarray
    label: I64
    owner: I64
    amount: F64
    first: I64
    last: I64
    dated: B


def deal_states(log: DealLog, pipeline: Pipeline | None, as_of: Instant) -> DealStates:
    """The state of every deal of ``log`` at ``as_of`` (``None``: after every event)."""
    pipe, codes = eng.label_codes(log, pipeline)
    t = parse_instant(as_of, "as_of")
    has_amount = log.amount is not None
    every = eng.sorted_events(log, codes, amount=has_amount)
    n = len(every.starts)
    owner = np.full(n, -1, np.int64)
    if log.owner is not None:
        owner[:] = every.last("owner")
    amount = eng.last_amount(every) if has_amount else np.full(n, np.nan)
    label = every.last("code").astype(np.int64)
    if t is not None:
        snap = eng.sorted_events(log, codes, upto=t, inclusive=True, amount=has_amount)
        where = np.searchsorted(every.first("deal"), snap.first("deal"))
        label[:] = np.where(every.first("lo") <= t, UNKNOWN, NOT_STARTED)
        label[where] = snap.last("code")
        if log.owner is not None:
            owner[where] = snap.last("owner")
        if has_amount:
            seen = eng.last_amount(snap)
            amount[where] = np.where(np.isnan(seen), amount[where], seen)
    first, last, dated = _dated_span(log, every.first("deal"))
    ids = log.ids_of(every.first("deal"))
    return DealStates(pipe, ids, label, owner, amount, first, last, dated)


def _dated_span(log: DealLog, deal_codes: I64) -> tuple[I64, I64, B]:
    """Per deal (of ``deal_codes``), its first and last dated time and whether it has one."""
    bound = log.deal_bound
    secs = log.time.view(np.int64)
    known = ~np.isnat(log.time)
    code = (log.deal - log.deal_offset)[known]
    first = np.full(bound, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(bound, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, code, secs[known])
    np.maximum.at(last, code, secs[known])
    dated = np.zeros(bound, dtype=bool)
    dated[code] = True
    return first[deal_codes], last[deal_codes], dated[deal_codes]


def reopened_deals(log: DealLog) -> int:
    """How many deals have an event after their first outcome (won, lost or frozen).

    The deal model reads such an event as the deal reopening. An event log read
    as deals (users or sessions that keep browsing after a purchase) shows up
    here first, so loading says it (:class:`LooksLikeEventLogWarning`) instead
    of reinterpreting silently. Events at equal times are ordered by pipeline
    order, as everywhere; of two equal outcome events the second follows the
    first. A wide form log (undated events kept in pipeline order) cannot
    reopen: 0. Two passes over the events, no sort: it runs on every load.
    """
    return _reopened(log)


def reopened_by_key(log: DealLog, deal: I64, bound: int, offset: int = 0) -> int | None:
    """The reopened deals of a fully dated log, or ``None`` when the times do not fit.

    A deal is reopened when some event follows its first outcome (the earliest
    time, then the lowest code at that time) or ties it exactly: when two or
    more of its events are at or after that outcome (the outcome is one of
    them). Every open stage's code is below every outcome's, so an event that
    is not an outcome follows the first outcome exactly when its *time* is
    later; hence a deal is reopened when it has two outcome events, or an
    event of an open stage later than its first outcome's time. That is one
    per-deal maximum of reversed times (``int32`` when the times span 68
    years or less, else ``int64``) over the outcomes and one gather and
    comparison per other event (:func:`_after_first`); the loaders run it on
    every load. A deal's code is ``deal - offset``, below ``bound``.
    """
    secs, span = log.order_bounds[0], log.time_span
    if span is None:  # no event, or an undated one
        return None
    last = span[1]
    top = last - span[0] + 1  # the largest reversed time
    if top >= 2**62:
        return None
    kind = np.int32 if top <= np.iinfo(np.int32).max else np.int64

    def reversed_times(start: int, stop: int, rows: I64) -> np.ndarray:
        # last - time + 1: at least 1, larger is earlier (fits ``kind``: ``top`` says so).
        times = secs[start:stop].take(rows)
        np.subtract(last, times, out=times)
        times += 1  # in place: no array per step beyond the one taken
        out: np.ndarray = times.astype(kind, copy=False)
        return out

    return _after_first(deal, offset, reversed_times, log, bound, kind)


_CHUNK = 1 << 16  # rows per step: the step's temporaries stay in the cache
_PAIR = 1 << 20  # rows from which the count of later events runs on two threads
_PAIR_BIG = 1 << 18  # ... from this many already when the per-deal table outgrows the cache
Times = Callable[[int, int, I64], np.ndarray]


def _after_first(
    deal: I64,
    offset: int,
    times: Times,
    log: DealLog,
    bound: int,
    kind: type[np.signedinteger[Any]],
) -> int:
    """How many deals have two outcome events, or an event of an open stage whose
    reversed time is below the largest reversed time of the deal's outcomes.

    ``times(start, stop, rows)`` gives the reversed times (at least 1, the
    earliest the largest) of rows ``start + rows`` (``rows`` below ``stop -
    start``). Passes over the rows in steps of :data:`_CHUNK`; the one big array
    is the per-deal table (``bound`` entries of ``kind``, zero where a deal has
    no outcome: never written before use).
    """
    n_stages = log.pipeline.n_stages
    first = np.zeros(bound, kind)  # per deal, its first outcome's reversed time; 0: none
    outcomes = 0
    for start in range(0, len(deal), _CHUNK):
        stop = min(start + _CHUNK, len(deal))
        rows = np.flatnonzero(log.code[start:stop] >= n_stages)
        if rows.size:
            np.maximum.at(first, _codes(deal[start:stop], rows, offset), times(start, stop, rows))
            outcomes += rows.size
    late = _late_count(deal, offset, times, first, log)
    if late == 0 and outcomes == int(np.count_nonzero(first)):
        return 0  # one outcome per deal, nothing after it
    parts: list[I64] = []
    _late(deal, offset, times, first, log, parts)
    first.fill(0)  # now each deal's outcome events and open-stage events after them
    np.add.at(first, np.concatenate(parts), 1)
    return int(np.count_nonzero(first > 1))


def _late_count(deal: I64, offset: int, times: Times, first: np.ndarray, log: DealLog) -> int:
    """:func:`_late`'s count; from :data:`_PAIR` rows on, the two halves of the rows
    (cut at a step) on two threads at once: the pass only reads ``first``, and numpy's
    gathers and comparisons release the GIL."""
    n = len(deal)
    big = n >= _PAIR_BIG and first.nbytes > CACHE_BYTES
    if n < max(_PAIR, 2) and not big:
        return _late(deal, offset, times, first, log)
    half = min(max(n // 2 // _CHUNK, 1) * _CHUNK, n)
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(_late, deal, offset, times, first, log, None, half, n)
        return _late(deal, offset, times, first, log, None, 0, half) + second.result()


def _late(
    deal: I64,
    offset: int,
    times: Times,
    first: np.ndarray,
    log: DealLog,
    parts: list[I64] | None = None,
    begin: int = 0,
    end: int | None = None,
) -> int:
    """How many open-stage events (of rows ``begin`` to ``end``) are later than their
    deal's first outcome (reversed time below ``first``'s), in one pass; with ``parts``,
    the deal codes of those events and of every outcome event are added to it."""
    n_stages = log.pipeline.n_stages
    count = 0
    end = len(deal) if end is None else end
    for start in range(begin, end, _CHUNK):
        stop = min(start + _CHUNK, end)
        is_open = log.code[start:stop] < n_stages
        rows = np.flatnonzero(is_open)
        code = _codes(deal[start:stop], rows, offset)
        # Later than the first outcome; a deal without one has 0, below every time.
        after = times(start, stop, rows) < first.take(code)
        count += int(np.count_nonzero(after))
        if parts is not None:
            parts.append(code[after])
            parts.append(deal[start:stop][~is_open] - offset)
    return count


def _codes(deal: I64, rows: I64, offset: int) -> I64:
    """The deal codes of ``rows`` of ``deal`` (an array of their own)."""
    code = deal.take(rows)
    if offset:
        code -= offset
    return code


def _reopened(log: DealLog) -> int:
    """The reopened deals (loading calls it: of the log's cache, it fills only the bound)."""
    if log.has_undated or int(log.code.max(initial=0)) < log.pipeline.n_stages:
        return 0  # no outcome at all
    offset, bound = log.deal_offset, log.deal_bound
    packed = reopened_by_key(log, log.deal, bound, offset)  # one maximum of reversed times
    if packed is not None:
        return packed
    # Times too far apart for one integer: their ranks, reversed, stand for them.
    ranks, rank = np.unique(log.time.view(np.int64), return_inverse=True)
    reverse = len(ranks) - rank.reshape(-1).astype(np.int64)
    del ranks, rank

    def reversed_ranks(start: int, stop: int, rows: I64) -> np.ndarray:
        out: np.ndarray = reverse[start:stop].take(rows)
        return out

    return _after_first(log.deal, offset, reversed_ranks, log, bound, np.int64)


def _deals(log: DealLog) -> int:
    """How many deals ``log`` has, without filling its cache."""
    if not len(log.deal):
        return 0
    return int(np.count_nonzero(np.bincount(log.deal - log.deal_offset)))


class LooksLikeEventLogWarning(UserWarning):
    """A deal log has deals with events after an outcome: perhaps an event log.

    Emitted once by every :class:`DealLog` constructor when at least one deal
    has an event after its first outcome (:func:`reopened_deals`): such a deal
    counts as reopened, which is right for a CRM and wrong for users or
    sessions that keep browsing after a purchase. Nothing is reinterpreted;
    silence it with :func:`warnings.filterwarnings` when the reopenings are
    real.
    """


def event_log_note(log: DealLog) -> str | None:
    """The one line saying that ``log`` looks like an event log, or None."""
    n = _reopened(log)
    if n == 0:
        return None
    return (
        f"{fmt_number(n)} of {fmt_number(_deals(log))} deals have events after an outcome "
        "and count as reopened; if the rows are users or sessions doing events, use "
        "salesfunnel.event_funnel or `salesfunnel events` (docs: funnels from event logs)"
    )


def warn_if_event_log(log: DealLog) -> None:
    """Warn (:class:`LooksLikeEventLogWarning`) when ``log`` has reopened deals."""
    note = event_log_note(log)
    if note is not None:
        warnings.warn(note, LooksLikeEventLogWarning, stacklevel=outside_level())
