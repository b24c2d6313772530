"""The state of every deal at a moment: the one place that decides a deal's status.

The analyses and the report's deal list read a deal's status from here, by the
shared rules (:mod:`salesfunnel.deals.shared`): the label of its last event at
or before ``as_of``; an undated event that may fall on either side of
``as_of`` makes the status unknown rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import engine as eng
from .log import DealLog
from .pipeline import Pipeline
from .shared import F64, I64, B, Instant, parse_instant

__all__ = ["NOT_STARTED", "UNKNOWN", "DealStates", "deal_states", "reopened_deals"]

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
    here first, so the command line says it instead of reinterpreting silently.
    Events at equal times are ordered by pipeline order, as everywhere. A wide
    form log (undated events kept in pipeline order) cannot reopen: 0.
    """
    if len(log) == 0 or log.has_undated:
        return 0
    order = np.lexsort((log.code, log.time, log.deal))
    deal = log.deal[order]
    closed = (log.code[order] >= log.pipeline.n_stages).astype(np.int64)
    before = np.cumsum(closed) - closed  # outcomes before each event, over the whole log
    first = np.r_[True, deal[1:] != deal[:-1]]
    # Outcomes before each event within its own deal: subtract the count at the deal's start.
    own = before - np.maximum.accumulate(np.where(first, before, 0))
    return int(np.unique(deal[own > 0]).size)
