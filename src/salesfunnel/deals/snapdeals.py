"""Per-deal results of the snapshot analyses and of the monthly volume.

:func:`snap_deals` reduces a log to one row per deal in its snapshot at
``as_of`` (stage code, group, last known amount, furthest open stage), in
deal-id order: everything :func:`~salesfunnel.active_funnel` and
:func:`~salesfunnel.forecast` read. :func:`won_deals` reduces it to the
deals whose final win falls in a period (month, group, amount): everything
:func:`~salesfunnel.monthly_volume` reads. The single-machine functions are
these reductions followed by their finishing step, so a cluster that reduces
each partition of whole deals, concatenates the parts (:func:`concat_snaps`,
:func:`concat_won`: deal-id order restored, groups united) and finishes them
gets the same results bit for bit, as for :mod:`salesfunnel.deals.perdeal`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .._calendar import month_numbers
from . import engine as eng
from .idlookup import CodedIds
from .log import DealLog
from .perdeal import _cat, _regrouped
from .pipeline import Pipeline
from .shared import F64, I64, By, Instant, group_names, left_out_counts, parse_instant, snapshot

__all__ = [
    "CodedIds",
    "SnapDeals",
    "WonDeals",
    "concat_snaps",
    "concat_won",
    "snap_deals",
    "won_deals",
]


@dataclass(frozen=True, slots=True)
class SnapDeals:
    """Every deal with an event at or before ``t`` (seconds; ``None``: all), sorted by id.

    ``names`` are the result groups (``[None]`` without ``by``), ``unknown``
    their counts of deals left out for an unknown time, and ``group``
    indexes ``names`` per deal. ``last`` is the deal's label code at ``t``,
    ``amount`` its last known amount (NaN: none; ``None`` without an amount
    column), ``reach`` its furthest open stage (-1: none). ``ids`` are looked
    up lazily (:class:`CodedIds`) on one machine and are an array in a partial.
    """

    pipe: Pipeline
    t: int | None
    names: list[str | None]
    unknown: I64
    ids: np.ndarray | CodedIds
    group: I64
    last: I64
    amount: F64 | None
    reach: I64


def snap_deals(
    log: DealLog, pipeline: Pipeline | None, as_of: Instant, by: By, lazy_ids: bool = True
) -> SnapDeals:
    """The deals of ``log`` in their snapshot at ``as_of`` (``by``: ``None`` or ``"owner"``).

    With ``lazy_ids`` the ids are looked up only where the finishing step asks;
    a partial that leaves its worker needs them all (``lazy_ids=False``: the
    lookup would carry the whole log)."""
    names = group_names(log, by)
    snap = snapshot(log, pipeline, as_of, by)
    ev, k = snap.ev, snap.pipe.n_stages
    ids = log.ids_later(ev.at("deal", ev.starts))
    return SnapDeals(
        pipe=snap.pipe,
        t=snap.t,
        names=names,
        unknown=left_out_counts(ev, by, len(names)),
        ids=ids if lazy_ids else ids.all(),
        group=snap.group,
        last=snap.last.astype(np.int64),
        amount=snap.amount,
        reach=eng.furthest_open(ev, k).astype(np.int64),
    )


def concat_snaps(parts: Sequence[SnapDeals]) -> SnapDeals:
    """The :class:`SnapDeals` of the union of logs of disjoint deals (at least one part)."""
    parts = [p if isinstance(p.ids, np.ndarray) else replace(p, ids=p.ids.all()) for p in parts]
    first = parts[0]
    names, unknown, groups, ids, order = _regrouped(parts, [p.unknown for p in parts])
    amount = None
    if first.amount is not None:
        amount = _cat([p.amount for p in parts], order)  # type: ignore[misc]
    last, reach = (_cat([getattr(p, f) for p in parts], order) for f in ("last", "reach"))
    return SnapDeals(first.pipe, first.t, names, unknown, ids[order], _cat(groups, order),
                     last, amount, reach)  # fmt: skip


@dataclass(frozen=True, slots=True)
class WonDeals:
    """The deals whose final win falls in a period, sorted by id.

    ``names`` and ``group`` as for :class:`SnapDeals`; ``month`` is the
    month of the win (months since 1970-01), ``amount`` the deal's last known
    amount (NaN: none; ``None`` without an amount column), ``unknown`` the
    deals left out for an unknown time.
    """

    names: list[str | None]
    unknown: int
    ids: np.ndarray | CodedIds
    group: I64
    month: I64
    amount: F64 | None


def won_deals(
    log: DealLog,
    pipeline: Pipeline | None,
    start: Instant,
    end: Instant,
    by: By,
    lazy_ids: bool = True,
    zone: dt.tzinfo | None = None,
) -> WonDeals:
    """The deals of ``log`` whose final win falls in ``[start, end)`` (``lazy_ids``: as
    for :func:`snap_deals`), with the month of the win on ``zone``'s calendar (a
    naive ``start``/``end`` read in it)."""
    names = group_names(log, by)
    pipe, codes = eng.label_codes(log, pipeline)
    s, e = parse_instant(start, "start", zone), parse_instant(end, "end", zone)
    ev = eng.sorted_events(log, codes, upto=e, inclusive=False, amount=log.amount is not None)
    last = ev.at("code", ev.ends)
    won = last == pipe.won_code
    if e is not None:
        won &= ~eng.deals_with_event_from(log, e)[ev.first("deal")]  # its final win only
    known = ev.at("known", ev.ends)
    close = ev.at("lo", ev.ends)
    unknown = ev.unknown + int(np.count_nonzero(won & ~known))
    sel = won & known
    if s is not None:
        sel &= close >= s
    if zone is None:
        months = close[sel].astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    else:
        months = month_numbers(close[sel], zone)
    if by is None:
        grp = np.zeros(months.size, np.int64)
    else:
        assert log.owner is not None
        grp = ev.at("owner", ev.ends)[sel].astype(np.int64)
    amt = eng.last_amount(ev)[sel] if ev.amount is not None else None
    ids = log.ids_later(ev.at("deal", ev.starts[np.flatnonzero(sel)]))
    return WonDeals(names, unknown, ids if lazy_ids else ids.all(), grp, months, amt)


def concat_won(parts: Sequence[WonDeals]) -> WonDeals:
    """The :class:`WonDeals` of the union of logs of disjoint deals (at least one part)."""
    parts = [p if isinstance(p.ids, np.ndarray) else replace(p, ids=p.ids.all()) for p in parts]
    zeros = [np.zeros(len(p.names), np.int64) for p in parts]
    names, _, groups, ids, order = _regrouped(parts, zeros)
    amount = None
    if parts[0].amount is not None:
        amount = _cat([p.amount for p in parts], order)  # type: ignore[misc]
    return WonDeals(
        names=names,
        unknown=sum(p.unknown for p in parts),
        ids=ids[order],
        group=_cat(groups, order),
        month=_cat([p.month for p in parts], order),
        amount=amount,
    )
