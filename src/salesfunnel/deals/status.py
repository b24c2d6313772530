"""The state of every deal at a moment: the one place that decides a deal's status.

The analyses and the report's deal list read a deal's status from here, by the
shared rules (:mod:`salesfunnel.deals.shared`): the label of its last event at
or before ``as_of``; an undated event that may fall on either side of
``as_of`` makes the status unknown rather than guessed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._format import fmt_number
from .._time import outside_level
from . import engine as eng
from .log import DealLog
from .pipeline import Pipeline
from .shared import F64, I64, B, Instant, parse_instant

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
    reopen: 0. One pass over the events, no sort: it runs on every load.
    """
    return _reopened(log)


def reopened_by_key(log: DealLog, deal: I64, bound: int, offset: int = 0) -> int | None:
    """The reopened deals of a fully dated log, or ``None`` when the times do not pack.

    A deal is reopened when some event follows its first outcome (the earliest
    time, then the lowest code at that time) or ties it exactly: when two or
    more of its events are at or after that outcome (the outcome is one of
    them). Packing (time, code) into one integer, reversed so that the earliest
    is the largest (``int32`` when the times span a few years or less, else
    ``int64``), makes that one per-deal maximum over the outcomes and one
    gather and comparison per event (:func:`_after_first`); the loaders run it
    on every load. A deal's code is ``deal - offset``, below ``bound``.
    """
    secs = log.order_bounds[0]
    code_bits = max(int(log.code.max(initial=0)).bit_length(), 1)
    if log.has_undated or not len(secs):
        return None
    last = int(secs.max())
    top = (last - int(secs.min()) + 1) << code_bits  # the largest reversed key
    if top >= 2**62:
        return None
    kind = np.int32 if top <= np.iinfo(np.int32).max else np.int64
    low = (1 << code_bits) - 1

    def reversed_keys(start: int, stop: int, out: np.ndarray) -> np.ndarray:
        # ((last - time) << code_bits | (low - code)) + 1: at least 1, larger is earlier.
        np.subtract(last, secs[start:stop], out=out, casting="unsafe")  # fits: ``top`` says so
        out <<= code_bits
        out |= low - log.code[start:stop]
        out += 1
        return out

    return _after_first(deal, offset, reversed_keys, log, bound, kind)


_CHUNK = 1 << 16  # rows per step: the step's buffers stay in the cache and are reused
Keys = Callable[[int, int, np.ndarray], np.ndarray]


def _after_first(
    deal: I64,
    offset: int,
    keys: Keys,
    log: DealLog,
    bound: int,
    kind: type[np.signedinteger[Any]],
) -> int:
    """How many deals have two or more events at or before (in reversed key order) the
    largest reversed key among the deal's outcome events.

    ``keys(start, stop, out)`` writes rows ``start:stop``'s reversed keys (each at
    least 1, the earliest event the largest) into ``out`` and returns it. Passes
    over the rows in steps of :data:`_CHUNK`, with buffers reused from step to
    step; the one big array is the per-deal table (``bound`` entries of
    ``kind``, zero where a deal has no outcome: never written before use).
    """
    n_stages = log.pipeline.n_stages
    first = np.zeros(bound, kind)  # per deal, its first outcome's reversed key; 0: none
    code = np.empty(_CHUNK, np.int64)
    key = np.empty(_CHUNK, kind)
    for start in range(0, len(deal), _CHUNK):
        stop = min(start + _CHUNK, len(deal))
        outcomes = np.flatnonzero(log.code[start:stop] >= n_stages)
        if outcomes.size:
            rows = keys(start, stop, key[: stop - start])
            np.subtract(deal[start:stop], offset, out=code[: stop - start])
            np.maximum.at(first, code.take(outcomes), rows.take(outcomes))
    if _late(deal, offset, keys, first) == int(np.count_nonzero(first)):
        return 0  # each outcome alone at or after itself: nothing reopened
    parts: list[I64] = []
    _late(deal, offset, keys, first, parts)
    first.fill(0)  # now the count of each deal's events at or after its first outcome
    np.add.at(first, np.concatenate(parts), 1)
    return int(np.count_nonzero(first > 1))


def _late(
    deal: I64, offset: int, keys: Keys, first: np.ndarray, parts: list[I64] | None = None
) -> int:
    """How many rows are at or after their deal's first outcome (their reversed key at
    most ``first``'s), in one pass; with ``parts``, their deal codes are added to it."""
    code = np.empty(_CHUNK, np.int64)
    key = np.empty(_CHUNK, first.dtype)
    seen = np.empty(_CHUNK, first.dtype)
    late = np.empty(_CHUNK, bool)
    count = 0
    for at in range(0, len(deal), _CHUNK):
        m = min(at + _CHUNK, len(deal)) - at
        np.subtract(deal[at : at + m], offset, out=code[:m])
        first.take(code[:m], out=seen[:m])
        # At or after the first outcome; a deal without one has 0, below every key.
        np.less_equal(keys(at, at + m, key[:m]), seen[:m], out=late[:m])
        count += int(np.count_nonzero(late[:m]))
        if parts is not None:
            parts.append(code[:m][late[:m]])
    return count


def _reopened(log: DealLog) -> int:
    """The reopened deals (loading calls it: of the log's cache, it fills only the bound)."""
    if log.has_undated or int(log.code.max(initial=0)) < log.pipeline.n_stages:
        return 0  # no outcome at all
    offset, bound = log.deal_offset, log.deal_bound
    packed = reopened_by_key(log, log.deal, bound, offset)  # one maximum of packed keys
    if packed is not None:
        return packed
    secs = log.time.view(np.int64)
    # Per deal, its first outcome: the earliest time, then the lowest code at that time;
    # ranks of (time, code), reversed, stand for the packed key.
    times, time_rank = np.unique(secs, return_inverse=True)
    width = int(log.code.max()) + 1
    reverse = (len(times) - time_rank.reshape(-1).astype(np.int64)) * width - log.code
    del times, time_rank

    def reversed_keys(start: int, stop: int, out: np.ndarray) -> np.ndarray:
        out[...] = reverse[start:stop]
        return out

    return _after_first(log.deal, offset, reversed_keys, log, bound, np.int64)


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
