"""The closed-deal funnel of a period, and the time in stage of its deals.

Counting rules of the closed-deal funnel (the shared rules are in
:mod:`salesfunnel.deals.shared`):

* **Reaching a stage** counts once per deal, whatever the number of visits.
  ``mode`` chooses what "reached" means: ``"cumulative"`` (every stage up to
  the furthest reached; a won deal reached them all, a lost deal counts up to
  the furthest open stage it had), ``"classic"`` (only stages with an event of
  their own) or ``"strict"`` (stages 0, 1, ..., j entered in that order).
* **Periods tile**: a deal counts in the period ``start <= t < end`` that
  holds its *final* closing, the time of its last event when that event is
  won or lost. A deal lost in January, reopened and won in March counts in
  March only; one reopened and still open (or frozen) counts in no period.
  So consecutive periods count each deal once and the monthly funnels of a
  year add up to the year's funnel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from .._format import escape_html, fmt_count, fmt_number, fmt_percent, json_number
from .._table import Cell, ResultTable, TableView
from ..funnel.later import Later
from ..funnel.metrics import conversion_from_first, step_conversion
from ..funnel.model import Funnel, Stage
from .durations import DurationStats, StageDurations, durations_by_group, group_stats
from .groups import GroupBy, grouping
from .idlookup import CodedIds, ids_at, ids_part
from .log import DealLog
from .perdeal import ClosedDeals, closed_deals
from .pipeline import Pipeline
from .shared import (
    F64,
    I64,
    B,
    Instant,
    Mode,
    amount_scale,
    bincount,
    dumps,
    iso,
    keyword_options,
    segments,
    stage_total,
)

__all__ = ["ClosedFunnel", "closed_funnel", "stage_durations"]


class SummaryView(TableView):
    """A result shown as its table followed by a one-line summary, as text and as HTML."""

    __slots__ = ()

    @property
    def table(self) -> ResultTable:
        raise NotImplementedError

    def _summary(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return f"{self.table}\n{self._summary()}"

    def _repr_html_(self) -> str:
        return f"{self.table._repr_html_()}<p>{escape_html(self._summary())}</p>"


@dataclass(frozen=True, slots=True)
class ClosedFunnel(SummaryView):
    """The closed-deal funnel of a period, with conversions and durations.

    Attributes
    ----------
    funnel
        A :class:`~salesfunnel.Funnel` of the open stages plus the won
        outcome; each stage's ``data`` is a read-only numpy array of the ids
        of the deals counted there (so a chart click decodes to the deals),
        and its ``amount`` the sum of their known amounts (``None`` without an
        amount column).
    name
        The owner, or ``None`` for the whole team.
    mode, start, end
        The counting mode and the period (ISO strings or ``None``).
    deals, won, lost, win_rate
        Closed deals in the period, their outcomes and ``won / (won + lost)``
        (NaN with no closed deal).
    cycle
        Cycle time (first event to outcome) of these deals.
    durations
        Time in each stage and cycle time of these deals (``None`` when
        ``durations=False`` was asked for).
    unknown_time_deals
        Deals left out because an unknown time made their period uncertain.
    amount_unknown
        Closed deals without a known amount (no amount on any of their
        events): counted in every stage they reached, left out of its amount
        (0 without an amount column).
    """

    funnel: Funnel
    name: str | None
    mode: Mode
    start: str | None
    end: str | None
    deals: int
    won: int
    lost: int
    win_rate: float
    cycle: DurationStats
    durations: StageDurations | None
    unknown_time_deals: int
    amount_unknown: int

    @property
    def table(self) -> ResultTable:
        """Per stage: deals, amount, conversions and time in stage."""
        dur_rows = self.durations.stages.rows if self.durations is not None else ()
        times = [(d[4], d[3], d[5]) for d in dur_rows]
        return funnel_table(self.funnel, self.name or "closed deals", times)

    def to_json(self, *, indent: int | None = None) -> str:
        """Summary, stages and cycle time as strict JSON."""
        payload = {
            "name": self.name,
            "mode": self.mode,
            "start": self.start,
            "end": self.end,
            "deals": self.deals,
            "won": self.won,
            "lost": self.lost,
            "win_rate": json_number(self.win_rate),
            "unknown_time_deals": self.unknown_time_deals,
            "amount_unknown": self.amount_unknown,
            "cycle": self.cycle.to_record(),
            "stages": self.to_records(),
        }
        return dumps(payload, indent)

    def _summary(self) -> str:
        cycle = ""
        if self.cycle.count:
            cycle = f", median cycle {fmt_number(round(self.cycle.median_days, 1))} d"
        return (
            f"{fmt_count(self.deals, 'closed deal')}: {fmt_number(self.won)} won, "
            f"{fmt_number(self.lost)} lost, "
            f"win rate {fmt_percent(self.win_rate)}{cycle}{no_amount_note(self.amount_unknown)}"
        )

    def __repr__(self) -> str:
        return (
            f"ClosedFunnel(name={self.name!r}, mode={self.mode!r}, deals={self.deals}, "
            f"won={self.won}, lost={self.lost}, win_rate={self.win_rate!r})"
        )


def no_amount_note(n: int) -> str:
    """``"; 3 deals without an amount"`` for a summary line, or ``""``."""
    return f"; {fmt_count(n, 'deal')} without an amount" if n else ""


def funnel_table(
    funnel: Funnel, title: str, times: Sequence[tuple[Cell, Cell, Cell]]
) -> ResultTable:
    """Per stage: deals, amount (with amounts), conversions, then ``times`` if any.

    ``times`` holds one ``(median_days, mean_days, p90_days)`` per stage (a
    stage beyond it gets blanks), or nothing for no time columns.
    """
    step = step_conversion(funnel)
    first = conversion_from_first(funnel)
    amounts = funnel.has_amounts
    cols: tuple[str, ...] = ("stage", "deals")
    cols += ("amount",) if amounts else ()
    cols += ("step_conversion", "conversion_from_first")
    if times:
        cols += ("median_days", "mean_days", "p90_days")
    rows = []
    for i, s in enumerate(funnel.stages):
        row: tuple[Cell, ...] = (s.name, int(s.count))
        row += (s.amount,) if amounts else ()
        row += (float(step[i]), float(first[i]))
        if times:
            row += times[i] if i < len(times) else (None, None, None)
        rows.append(row)
    return ResultTable(title, cols, tuple(rows))


def _stage_sets(
    group: npt.NDArray[np.integer],
    n_groups: int,
    k1: int,
    reach: npt.NDArray[np.int16] | None,
    masks: list[B] | None,
) -> tuple[I64, list[tuple[I64, I64]]]:
    """Per group, the count and the deal positions of each funnel stage.

    Returns ``(counts, runs)``: ``runs[j]`` is ``(positions, begin)`` and the
    deals of group ``g`` in stage ``j`` are
    ``positions[begin[g] : begin[g] + counts[g, j]]``. Stages may share one
    ``positions`` array (the same object), so a caller gathers ids or amounts
    once per distinct array and hands out slices (views) of the result.
    """
    counts = np.zeros((n_groups, k1), dtype=np.int64)
    if reach is not None:
        # Sort by (group, reach descending): the deals of stage j are a prefix
        # of the group's run, so every stage is a slice of one array.
        # Slot c = k1 - reach runs 1..k1 + 1 (reach -1 means no open stage).
        width = k1 + 2
        small = n_groups * width < 2**15  # numpy radix-sorts 16-bit keys
        dtype = np.int16 if small else np.int64
        sort_key = group.astype(dtype) * dtype(width)
        sort_key += (k1 - reach).astype(dtype)
        order = np.argsort(sort_key, kind="stable")
        hist = bincount(sort_key, n_groups * width).reshape(n_groups, width)
        bounds = np.zeros(n_groups + 1, dtype=np.int64)
        np.cumsum(hist.sum(axis=1), out=bounds[1:])
        # Deals reaching stage j or beyond: slots 1 .. k1 - j.
        within = np.cumsum(hist[:, 1:], axis=1)
        counts = within[:, k1 - 1 - np.arange(k1)]
        return counts, [(order, bounds[:-1])] * k1
    assert masks is not None
    runs = []
    for j, mask in enumerate(masks):
        pos = np.flatnonzero(mask)
        gj = group[pos]
        order = np.argsort(gj, kind="stable")
        pos, gj = pos[order], gj[order]
        bounds = segments(gj.astype(np.int64), n_groups)
        counts[:, j] = np.diff(bounds)
        runs.append((pos, bounds[:-1]))
    return counts, runs


def _funnels(
    ids: np.ndarray | CodedIds | Later,
    amounts: F64 | None,
    pipe: Pipeline,
    names: list[str | None],
    counts: I64,
    runs: list[tuple[I64, I64]],
    ids_in_order: bool = False,
) -> list[Funnel]:
    """Per group, the funnel of deals ``ids`` (``amounts``: their last known amount, or NaN).

    ``counts`` and ``runs`` are :func:`_stage_sets`'s, by position in ``ids``.
    A stage's amount sums its deals' known amounts; it is ``None`` (unknown),
    not 0, when none of its deals has one. ``ids_in_order``: ``ids`` is
    already ``ids[positions]`` of the one positions array every stage shares
    (text ids made in that order: a gather of millions of ``str`` objects
    costs more than making them). Each stage's ``data`` (its deals' ids) is
    made when first read (:class:`~salesfunnel.funnel.later.Later`): the ids
    in the order of its positions array, made once for every stage sharing it,
    then a read-only view of its part. Text ids cost a Python string each,
    more than the rest of a large funnel, and are often never read.
    """
    scale = 1.0
    unknown: B | None = None
    if amounts is not None:
        unknown = np.isnan(amounts)
        scale = amount_scale(amounts)
        # Unknown amounts add nothing to a sum (the same bits as summing the known ones).
        amounts = np.where(unknown, 0.0, amounts if scale == 1.0 else amounts / scale)
    # Ids and amounts in the order of each distinct positions array, gathered
    # once: a stage's ids are then a view, not a copy per (owner, stage). The ids
    # are looked up once for all the arrays, when first read.
    every = Later(partial(ids_at, ids, None))
    gathered: dict[int, tuple[Later, F64 | None, B | None]] = {}
    for positions, _ in runs:
        if id(positions) not in gathered:
            assert not ids_in_order or not gathered, "ids in the order of one positions array"
            gathered[id(positions)] = (
                every if ids_in_order else Later(partial(ids_at, every, positions)),
                None if amounts is None else amounts[positions],
                None if unknown is None else unknown[positions],
            )
    out = []
    for g, name in enumerate(names):
        stages = []
        for j, label in enumerate(pipe.funnel_names):
            positions, begin = runs[j]
            ids_of, amount_of, unknown_of = gathered[id(positions)]
            a, b = int(begin[g]), int(begin[g] + counts[g, j])
            amount = None
            if amount_of is not None and unknown_of is not None:
                none_known = b > a and bool(unknown_of[a:b].all())
                total = stage_total(float(amount_of[a:b].sum()), scale)
                amount = None if none_known else total
            data = Later(partial(ids_part, ids_of, slice(a, b)))
            stages.append(Stage(label, int(counts[g, j]), amount, data))
        out.append(Funnel(tuple(stages), name))
    return out


def amount_unknown(amounts: F64 | None, group: npt.NDArray[np.integer], n_groups: int) -> I64:
    """Per group, the deals without a known amount (NaN); zeros without an amount column."""
    if amounts is None:
        return np.zeros(n_groups, np.int64)
    return np.bincount(group[np.isnan(amounts)], minlength=n_groups)


def closed_funnels(deals: ClosedDeals) -> list[ClosedFunnel]:
    """One :class:`ClosedFunnel` per group of the per-deal results ``deals``.

    :func:`closed_funnel` is :func:`~salesfunnel.deals.perdeal.closed_deals`
    then this; the cluster adapters call it on the merged per-deal results.
    """
    pipe, group, names = deals.pipeline, deals.group, deals.names
    k = pipe.n_stages
    n_groups = len(names)
    counts, runs = _stage_sets(group, n_groups, k + 1, deals.reach, deals.masks)
    n_closed = bincount(group, n_groups)
    # In cumulative mode the funnel's last stage counts exactly the won deals.
    won = deals.won
    n_won = counts[:, k] if deals.reach is not None else np.bincount(group[won], minlength=n_groups)
    n_lost = n_closed - n_won
    cycles = group_stats(group, deals.cycle, deals.cycle_known, n_groups)
    dur: list[StageDurations | None] = [None] * n_groups
    if deals.stage_times is not None:
        times = [
            (group[pos].astype(np.int64), totals, known) for pos, totals, known in deals.stage_times
        ]
        dur = list(durations_by_group(times, pipe, cycles, names))
    funnels = _funnels(deals.ids, deals.amount, pipe, names, counts, runs)
    no_amount = amount_unknown(deals.amount, group, n_groups)
    out = []
    for g, name in enumerate(names):
        w, lo_ = int(n_won[g]), int(n_lost[g])
        out.append(
            ClosedFunnel(
                funnel=funnels[g],
                name=name,
                mode=deals.mode,  # type: ignore[arg-type]
                start=iso(deals.start),
                end=iso(deals.end),
                deals=w + lo_,
                won=w,
                lost=lo_,
                win_rate=w / (w + lo_) if w + lo_ else math.nan,
                cycle=cycles[g],
                durations=dur[g],
                unknown_time_deals=int(deals.unknown[g]),
                amount_unknown=int(no_amount[g]),
            )
        )
    return out


def _closed(log: DealLog, pipeline: Pipeline | None, *options: Any) -> list[ClosedFunnel]:
    """:func:`closed_deals` (``start, end, by, mode, durations``), then :func:`closed_funnels`."""
    return closed_funnels(closed_deals(log, pipeline, *options))


@overload
def closed_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    by: None = None,
    mode: Mode = "cumulative",
    durations: bool = True,
) -> ClosedFunnel: ...
@overload
def closed_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    by: str | list[str] | tuple[str, ...],
    mode: Mode = "cumulative",
    durations: bool = True,
) -> dict[Any, ClosedFunnel]: ...
@keyword_options("start", "end", "by", "mode")
def closed_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    by: GroupBy = None,
    mode: Mode = "cumulative",
    durations: bool = True,
) -> ClosedFunnel | dict[Any, ClosedFunnel]:
    """The funnel of the deals that reached won or lost within a period.

    Parameters
    ----------
    log
        The deal events.
    pipeline
        Stages and outcomes to analyse with; default the log's own. A
        different pipeline must know every label the log uses.
    start, end
        The period ``start <= t < end`` (either may be ``None``) of each
        deal's *final* closing, the time of its last event when that event is
        won or lost: a deal reopened later counts in the period of its later
        closing (or in none while open), so consecutive periods add up.
    by
        ``None`` (default) for one result for the team, ``"owner"`` for a
        dict of one result per owner (every owner of the log, sorted by
        name; an owner is the one on the deal's last event), a column kept
        with ``keep=`` for one result per value of it, or a list of those
        for one result per combination, keyed by tuples. Every analysis
        follows this rule; see "Calling convention" in the Deal history docs.
    mode
        ``"cumulative"``, ``"classic"`` or ``"strict"`` (see the module notes).
    durations
        Also compute the time in each stage (on by default; the cycle time
        is always computed).

    Returns
    -------
    ClosedFunnel or dict of str to ClosedFunnel

    Raises
    ------
    FunnelDataError
        Unknown mode or ``by``, unparsable bounds, ``end`` before ``start``.

    Examples
    --------
    >>> p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    >>> rows = [("A", "Call", "2024-01-01"), ("A", "Offer", "2024-01-03"),
    ...         ("A", "Won", "2024-01-10"), ("B", "Call", "2024-01-02"),
    ...         ("B", "Lost", "2024-01-04"), ("C", "Call", "2024-01-05")]
    >>> log = DealLog.from_records([dict(zip(("deal", "stage", "time"), r)) for r in rows], p)
    >>> cf = closed_funnel(log)
    >>> cf.funnel.counts, cf.win_rate
    (array([2., 1., 1.]), 0.5)
    >>> cf.funnel["Offer"].data.tolist()
    ['A']
    >>> cf.cycle.median_days
    5.5
    """
    g = grouping(log, by)
    return g.result(_closed(g.log, pipeline, start, end, g.by, mode, durations))


@overload
def stage_durations(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    by: None = None,
) -> StageDurations: ...
@overload
def stage_durations(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    by: str | list[str] | tuple[str, ...],
) -> dict[Any, StageDurations]: ...
@keyword_options("start", "end", "by")
def stage_durations(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    by: GroupBy = None,
) -> StageDurations | dict[Any, StageDurations]:
    """Time in each stage (sum of visits) and cycle time of the deals closed in a period.

    Same population and parameters as :func:`closed_funnel` (a dict by owner
    exactly when ``by`` is given). Only closed deals have complete durations;
    for deals still open use :func:`time_to_close`, which counts them as
    censored.

    Examples
    --------
    >>> p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    >>> rows = [("A", "Call", "2024-01-01"), ("A", "Offer", "2024-01-03"),
    ...         ("A", "Call", "2024-01-04"), ("A", "Offer", "2024-01-05"),
    ...         ("A", "Won", "2024-01-08")]
    >>> log = DealLog.from_records([dict(zip(("deal", "stage", "time"), r)) for r in rows], p)
    >>> d = stage_durations(log)
    >>> d.stage("Call").median_days, d.stage("Offer").median_days, d.cycle.median_days
    (3.0, 4.0, 7.0)
    """
    g = grouping(log, by)
    results = _closed(g.log, pipeline, start, end, g.by, "cumulative", True)
    durations = [r.durations for r in results if r.durations is not None]
    return g.result(durations)
