"""Deal-history analytics: closed-deal and active-deal funnels, durations, forecasts.

Rules shared by every function here (see the "Deal history" docs page for worked
examples):

* **Order of a deal's events**: by time; at equal times by pipeline order
  (open stages, won, lost, frozen). Input row order never matters.
* **Stage of a deal at time T**: the label of its last event at or before T.
  A deal whose last event is won or lost is closed, frozen is on hold,
  anything else is open. An event after an outcome reopens the deal under the
  same id.
* **Reaching a stage** counts once per deal, whatever the number of visits.
  ``mode`` chooses what "reached" means: ``"cumulative"`` (every stage up to
  the furthest reached; a won deal reached them all, a lost deal counts up to
  the furthest open stage it had), ``"classic"`` (only stages with an event of
  their own) or ``"strict"`` (stages 0, 1, ..., j entered in that order).
* **Time in a stage** sums every visit: a visit lasts from the stage's event to
  the deal's next event, so the span after a won, lost or frozen event counts
  in no stage. The cycle time runs from a deal's first event to its outcome.
* **Periods** are half-open, ``start <= t < end``; a closed-deal funnel
  looks at each deal's history before ``end``. Snapshots (``as_of``) include
  events at exactly ``as_of``.
* **Unknown times** (undated wide-form stages): such a deal still counts as
  having reached its stages; a time-based figure that would need the missing
  time leaves the deal out and reports how many deals that was.
* Durations are in days (floats). Undefined numbers are NaN in results,
  ``None`` in records and JSON.
* Every function takes the ``pipeline`` to analyse with as its second
  argument; ``None`` (the default) means the log's own. Another pipeline must
  know every label the log uses (it may, say, add a frozen label).
* ``by="owner"`` gives a dict of results, one per owner of the log sorted by
  name (owners without deals in scope get empty results, so rows line up). A
  deal's owner is the owner on its last event in scope.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt

from .._format import escape_html, fmt_number, fmt_percent, json_number
from .._table import Cell, ResultTable, TableView
from ..errors import FunnelDataError
from ..funnel.metrics import conversion_from_first, step_conversion
from ..funnel.model import Funnel, Stage
from . import engine as eng
from .log import DealLog, _one_time
from .pipeline import Pipeline
from .survival import SurvivalCurve, cumulative_incidence, kaplan_meier

__all__ = [
    "ActiveFunnel",
    "ClosedFunnel",
    "DurationStats",
    "Forecast",
    "MonthlyVolume",
    "StageDurations",
    "StalledDeals",
    "active_funnel",
    "closed_funnel",
    "forecast",
    "monthly_volume",
    "stage_durations",
    "stalled_deals",
    "time_to_close",
]

Mode = Literal["cumulative", "classic", "strict"]
By = Literal["owner"] | None
Instant = str | dt.date | dt.datetime | np.datetime64 | None

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
DAY = float(eng.DAY_S)


# -- small helpers ------------------------------------------------------------------
def _instant(value: Instant, name: str) -> int | None:
    if value is None:
        return None
    try:
        t = _one_time(value)
    except ValueError as exc:
        msg = f"{name}: unparsable timestamp ({exc})"
        raise FunnelDataError(msg) from None
    if t is None:
        msg = f"{name} must be a timestamp or None (got {value!r})"
        raise FunnelDataError(msg)
    return int(t.astype(np.int64))


def _iso(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return str(np.datetime64(int(seconds), "s"))


def _check_mode(mode: str) -> None:
    if mode not in ("cumulative", "classic", "strict"):
        msg = f"mode must be 'cumulative', 'classic' or 'strict' (got {mode!r})"
        raise FunnelDataError(msg)


def _groups(log: DealLog, by: str | None) -> list[str | None]:
    if by is None:
        return [None]
    if by != "owner":
        msg = f"by must be None or 'owner' (got {by!r})"
        raise FunnelDataError(msg)
    if log.owner is None:
        raise FunnelDataError("by='owner' needs a log built with an owner column")
    return list(log.owners)


def _left_out(ev: eng.Events, by: By, n_groups: int) -> I64:
    """Deals left out for an unknown time, per result group."""
    if by is None:
        return np.array([ev.unknown], dtype=np.int64)
    if ev.unknown_by_owner is None:
        return np.zeros(n_groups, dtype=np.int64)
    return ev.unknown_by_owner.astype(np.int64)


def _latest(log: DealLog) -> int | None:
    dated = log.time[~np.isnat(log.time)]
    return int(dated.max().astype(np.int64)) if dated.size else None


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def _segments(keys: I64, n_groups: int) -> I64:
    """Bounds of each group's run in an array sorted by group (length n_groups + 1)."""
    bounds = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n_groups), out=bounds[1:])
    return bounds


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Count, mean, median and 90th percentile of one set of durations (days).

    ``unknown`` counts deals left out because a time was unknown. The
    percentile interpolates linearly, as ``numpy.quantile`` does.
    """

    count: int
    unknown: int
    mean_days: float
    median_days: float
    p90_days: float

    def to_record(self) -> dict[str, Cell]:
        """A JSON-ready dict (``None`` for undefined values)."""
        return {
            "count": self.count,
            "unknown": self.unknown,
            "mean_days": json_number(self.mean_days),
            "median_days": json_number(self.median_days),
            "p90_days": json_number(self.p90_days),
        }


def _group_stats(
    group: npt.NDArray[np.integer], seconds: I64, known: B | None, n_groups: int
) -> list[DurationStats]:
    """Duration statistics per group, computed in whole seconds then turned into days.

    One sort of (group, value) serves every group: medians and percentiles are
    read at computed positions of each group's sorted run. ``known=None``
    means every value is known.
    """
    if known is None:
        unknown = np.zeros(n_groups, dtype=np.int64)
        g, v = group, seconds
    else:
        unknown = np.bincount(group[~known], minlength=n_groups)
        g, v = group[known], seconds[known]
    if v.size and int(v.min()) >= 0 and _fits(int(v.max()), n_groups):
        shift = int(max(int(v.max()), 1)).bit_length()
        key = np.left_shift(g, shift, dtype=np.int64)  # widened on the fly, no copy
        key |= v
        key.sort()
        bounds = np.searchsorted(key, np.arange(n_groups + 1, dtype=np.int64) << shift)
        v = key & ((1 << shift) - 1)
    else:
        order = np.lexsort((v, g))
        v = v[order]
        bounds = _segments(g[order].astype(np.int64), n_groups)
    return _stats_of_runs(v, bounds, unknown)


def _stats_of_runs(v: I64, bounds: I64, unknown: I64) -> list[DurationStats]:
    """Count, mean, median and p90 of each sorted run ``v[bounds[i]:bounds[i + 1]]``.

    Every statistic is read at computed positions for all runs at once: a
    ``np.quantile`` call per run costs a copy and a partition of data that is
    already sorted (most of the time of this function at 1e6 events).
    """
    m = np.diff(bounds)
    full = np.flatnonzero(m)  # empty runs have no statistics
    a, mf = bounds[:-1][full], m[full]
    # Median: the middle value, or the mean of the two middle values.
    lo = a + (mf - 1) // 2
    hi = lo + (mf % 2 == 0)
    median = (v[lo].astype(np.float64) + v[hi].astype(np.float64)) / 2.0
    p90 = _sorted_quantile(v, a, mf, 0.9)
    sums = np.add.reduceat(v, a) if full.size else np.zeros(0, np.int64)  # exact integers
    out = [DurationStats(0, int(u), math.nan, math.nan, math.nan) for u in unknown]
    for i, g in enumerate(full.tolist()):
        n = int(mf[i])
        mean = float(sums[i]) / n  # an exact integer sum, then one division
        stats = (mean / DAY, float(median[i]) / DAY, float(p90[i]) / DAY)
        out[g] = DurationStats(n, int(unknown[g]), *stats)
    return out


def _sorted_quantile(v: I64, start: I64, count: I64, q: float) -> F64:
    """``np.quantile(run, q)`` (method "linear") of sorted runs of ``v``, all at once.

    The arithmetic is numpy's own, step for step (virtual index ``(n - 1) * q``,
    then ``a + (b - a) * g``, or ``b - (b - a) * (1 - g)`` when ``g >= 0.5``), so
    the results are bit-for-bit those of ``np.quantile`` (tested).
    """
    virtual = (count - 1) * q
    prev = np.floor(virtual)
    gamma = virtual - prev
    i = prev.astype(np.int64)
    j = np.minimum(i + 1, count - 1)
    top = virtual >= count - 1  # numpy takes the last value there
    i[top] = count[top] - 1
    a, b = v[start + i], v[start + j]
    diff = b - a
    out: F64 = a + diff * gamma
    upper = gamma >= 0.5
    out[upper] = (b - diff * (1 - gamma))[upper]
    return out


def _fits(vmax: int, n_groups: int) -> bool:
    return int(max(vmax, 1)).bit_length() + int(max(n_groups, 1)).bit_length() <= 62


@dataclass(frozen=True, slots=True)
class StageDurations:
    """Time in each open stage (sum of visits) and the whole cycle, in days.

    ``stages`` has one row per open stage: ``stage``, ``deals`` (with a known
    time), ``unknown_time``, ``mean_days``, ``median_days``, ``p90_days``.
    """

    name: str | None
    stages: ResultTable
    cycle: DurationStats

    def stage(self, label: str) -> DurationStats:
        """The statistics of one stage."""
        for row in self.stages.rows:
            if row[0] == label:
                c, u, mean, med, p90 = row[1:]
                return DurationStats(int(c or 0), int(u or 0), _f(mean), _f(med), _f(p90))
        msg = f"no stage {label!r} in {self.stages.column('stage')!r}"
        raise KeyError(msg)

    def to_records(self) -> list[dict[str, Cell]]:
        """One JSON-ready dict per stage, then one for the cycle (stage ``None``)."""
        cycle: dict[str, Cell] = {
            "stage": None,
            "deals": self.cycle.count,
            "unknown_time": self.cycle.unknown,
        }
        cycle |= {k: v for k, v in self.cycle.to_record().items() if k.endswith("_days")}
        return [*self.stages.to_records(), cycle]

    def to_json(self, *, indent: int | None = None) -> str:
        """The records as strict JSON."""
        payload = {"name": self.name, "rows": self.to_records()}
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    def to_pandas(self) -> Any:
        """The stage rows as a DataFrame (requires pandas)."""
        return self.stages.to_pandas()

    def _repr_html_(self) -> str:
        return self.stages._repr_html_()

    def __repr__(self) -> str:
        return f"StageDurations(name={self.name!r}, median_cycle_days={self.cycle.median_days!r})"


def _f(value: Cell) -> float:
    return math.nan if value is None else float(value)


# -- closed-deal funnel -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClosedFunnel(TableView):
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

    @property
    def table(self) -> ResultTable:
        """Per stage: deals, amount, conversions and time in stage."""
        step = step_conversion(self.funnel)
        first = conversion_from_first(self.funnel)
        cols: tuple[str, ...] = ("stage", "deals")
        cols += ("amount",) if self.funnel.has_amounts else ()
        cols += ("step_conversion", "conversion_from_first")
        dur_rows = self.durations.stages.rows if self.durations is not None else ()
        amounts = self.funnel.has_amounts
        if dur_rows:
            cols += ("median_days", "mean_days", "p90_days")
        rows = []
        for i, s in enumerate(self.funnel.stages):
            row: tuple[Cell, ...] = (s.name, int(s.count))
            row += (s.amount,) if amounts else ()
            row += (float(step[i]), float(first[i]))
            if dur_rows:
                d = dur_rows[i] if i < len(dur_rows) else (None,) * 6
                row += (d[4], d[3], d[5])
            rows.append(row)
        return ResultTable(self.name or "closed deals", cols, tuple(rows))

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
            "cycle": self.cycle.to_record(),
            "stages": self.to_records(),
        }
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    def _summary(self) -> str:
        cycle = ""
        if self.cycle.count:
            cycle = f", median cycle {fmt_number(round(self.cycle.median_days, 1))} d"
        return (
            f"{self.deals} closed deals: {self.won} won, {self.lost} lost, "
            f"win rate {fmt_percent(self.win_rate)}{cycle}"
        )

    def __str__(self) -> str:
        return f"{self.table}\n{self._summary()}"

    def _repr_html_(self) -> str:
        return f"{self.table._repr_html_()}<p>{escape_html(self._summary())}</p>"

    def __repr__(self) -> str:
        return (
            f"ClosedFunnel(name={self.name!r}, mode={self.mode!r}, deals={self.deals}, "
            f"won={self.won}, lost={self.lost}, win_rate={self.win_rate!r})"
        )


def _membership(
    ev: eng.Events, pipe: Pipeline, mode: str, idx: I64, won: B
) -> tuple[npt.NDArray[np.int16] | None, list[B] | None]:
    """Reach per deal (cumulative) or per-stage membership masks (classic, strict)."""
    k = pipe.n_stages
    if mode == "cumulative":
        # 2-byte reach (stage codes fit easily): the stage-set sort key is 2 bytes too.
        reach = eng.furthest_open(ev, k)[idx].astype(np.int16)
        reach[won] = k
        return reach, None
    if mode == "classic":
        bits = eng.entered_bits(ev)[idx]
        masks = [((bits >> j) & 1).astype(bool) for j in range(k)]
    else:
        depth = eng.strict_depth(ev, k)[idx]
        masks = [depth >= j for j in range(k)]
        won = won & (depth >= k)
    return None, [*masks, won]


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
        hist = np.bincount(sort_key, minlength=n_groups * width).reshape(n_groups, width)
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
        bounds = _segments(gj.astype(np.int64), n_groups)
        counts[:, j] = np.diff(bounds)
        runs.append((pos, bounds[:-1]))
    return counts, runs


def _durations_by_group(
    ev: eng.Events,
    pipe: Pipeline,
    closed_idx: I64,
    group_of_closed: I64,
    cycles: list[DurationStats],
    names: list[str | None],
) -> list[StageDurations]:
    n_groups = len(names)
    chosen = np.zeros(len(ev.starts), dtype=bool)
    chosen[closed_idx] = True
    group_of_deal = np.zeros(len(ev.starts), dtype=np.int64)
    group_of_deal[closed_idx] = group_of_closed
    per_stage = []
    for groups, totals, known in eng.stage_times(ev, chosen, pipe.n_stages):
        all_known = bool(known.all())
        stats = _group_stats(group_of_deal[groups], totals, None if all_known else known, n_groups)
        per_stage.append(stats)
    out = []
    for g, name in enumerate(names):
        rows = tuple(
            (
                label,
                per_stage[j][g].count,
                per_stage[j][g].unknown,
                per_stage[j][g].mean_days,
                per_stage[j][g].median_days,
                per_stage[j][g].p90_days,
            )
            for j, label in enumerate(pipe.stages)
        )
        cols = ("stage", "deals", "unknown_time", "mean_days", "median_days", "p90_days")
        table = ResultTable(f"time in stage: {name or 'all deals'}", cols, rows)
        out.append(StageDurations(name, table, cycles[g]))
    return out


def _closed(
    log: DealLog,
    pipeline: Pipeline | None,
    start: Instant,
    end: Instant,
    by: By,
    mode: str,
    durations: bool,
) -> list[ClosedFunnel]:
    _check_mode(mode)
    names = _groups(log, by)
    pipe, codes = eng.label_codes(log, pipeline)
    s, e = _instant(start, "start"), _instant(end, "end")
    if s is not None and e is not None and e < s:
        msg = f"end must not be before start (got start={start!r}, end={end!r})"
        raise FunnelDataError(msg)
    ev = eng.sorted_events(log, codes, upto=e, inclusive=False, amount=log.amount is not None)
    k = pipe.n_stages
    last = ev.last("code")
    closed = last >= pipe.won_code
    if pipe.frozen_code is not None:
        closed &= last != pipe.frozen_code
    n_groups = len(names)
    unknown = _left_out(ev, by, n_groups)
    close_lo = ev.last("lo")
    all_known = ev.all_known
    if s is not None:
        in_period = close_lo >= s
        if not all_known:
            unsure = np.flatnonzero(closed & ~in_period & ~ev.last("known"))
            if by is None:
                unknown[0] += unsure.size
            else:
                unknown += np.bincount(ev.last("owner")[unsure], minlength=n_groups)
        closed &= in_period
    idx = np.flatnonzero(closed)
    won = last[idx] == pipe.won_code
    if by is None:
        group = np.zeros(idx.size, dtype=np.int64)
    else:
        assert log.owner is not None
        group = ev.last("owner")[idx]
    reach, masks = _membership(ev, pipe, mode, idx, won)
    counts, runs = _stage_sets(group, n_groups, k + 1, reach, masks)
    deal_codes = ev.first("deal")[idx]
    amounts = None
    if ev.amount is not None:
        amounts = np.nan_to_num(eng.last_amount(ev)[idx], nan=0.0)
    # Ids and amounts in the order of each distinct positions array, gathered
    # once: a stage's ids are then a view, not a copy per (owner, stage).
    gathered: dict[int, tuple[np.ndarray, F64 | None]] = {}
    for positions, _ in runs:
        if id(positions) not in gathered:
            gathered[id(positions)] = (
                log._ids_of(deal_codes[positions]),
                None if amounts is None else amounts[positions],
            )
    n_closed = np.bincount(group, minlength=n_groups)
    # In cumulative mode the funnel's last stage counts exactly the won deals.
    n_won = counts[:, k] if reach is not None else np.bincount(group[won], minlength=n_groups)
    n_lost = n_closed - n_won
    cycle = close_lo[idx]
    cycle -= ev.first("lo")[idx]
    cycle_known = None if all_known else (ev.first("known") & ev.last("known"))[idx]
    cycles = _group_stats(group, cycle, cycle_known, n_groups)
    dur: list[StageDurations | None] = [None] * n_groups
    if durations:
        dur = list(_durations_by_group(ev, pipe, idx, group, cycles, names))
    out = []
    for g, name in enumerate(names):
        stages = []
        for j, label in enumerate(pipe.funnel_names):
            positions, begin = runs[j]
            ids, amount_of = gathered[id(positions)]
            a, b = int(begin[g]), int(begin[g] + counts[g, j])
            amount = None if amount_of is None else float(amount_of[a:b].sum())
            stages.append(Stage(label, int(counts[g, j]), amount, _readonly(ids[a:b])))
        w, lo_ = int(n_won[g]), int(n_lost[g])
        out.append(
            ClosedFunnel(
                funnel=Funnel(tuple(stages), name),
                name=name,
                mode=mode,  # type: ignore[arg-type]
                start=_iso(s),
                end=_iso(e),
                deals=w + lo_,
                won=w,
                lost=lo_,
                win_rate=w / (w + lo_) if w + lo_ else math.nan,
                cycle=cycles[g],
                durations=dur[g],
                unknown_time_deals=int(unknown[g]),
            )
        )
    return out


@overload
def closed_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    start: Instant = None,
    end: Instant = None,
    by: None = None,
    mode: Mode = "cumulative",
    *,
    durations: bool = True,
) -> ClosedFunnel: ...
@overload
def closed_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    start: Instant = None,
    end: Instant = None,
    *,
    by: Literal["owner"],
    mode: Mode = "cumulative",
    durations: bool = True,
) -> dict[str, ClosedFunnel]: ...
def closed_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    start: Instant = None,
    end: Instant = None,
    by: By = None,
    mode: Mode = "cumulative",
    *,
    durations: bool = True,
) -> ClosedFunnel | dict[str, ClosedFunnel]:
    """The funnel of the deals that reached won or lost within a period.

    Parameters
    ----------
    log
        The deal events.
    pipeline
        Stages and outcomes to analyse with; default the log's own. A
        different pipeline must know every label the log uses.
    start, end
        The period ``start <= close time < end`` (either may be ``None``).
        Each deal's history before ``end`` decides whether it is closed.
    by
        ``None`` for the team, ``"owner"`` for a dict of one result per owner
        (every owner of the log, sorted by name; an owner is the one on the
        deal's last event).
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
    results = _closed(log, pipeline, start, end, by, mode, durations)
    if by is None:
        return results[0]
    return {r.name or "": r for r in results}


@overload
def stage_durations(
    log: DealLog,
    pipeline: Pipeline | None = None,
    start: Instant = None,
    end: Instant = None,
    by: None = None,
) -> StageDurations: ...
@overload
def stage_durations(
    log: DealLog,
    pipeline: Pipeline | None = None,
    start: Instant = None,
    end: Instant = None,
    *,
    by: Literal["owner"],
) -> dict[str, StageDurations]: ...
def stage_durations(
    log: DealLog,
    pipeline: Pipeline | None = None,
    start: Instant = None,
    end: Instant = None,
    by: By = None,
) -> StageDurations | dict[str, StageDurations]:
    """Time in each stage (sum of visits) and cycle time of the deals closed in a period.

    Same population and parameters as :func:`closed_funnel`. Only closed
    deals have complete durations; for deals still open use
    :func:`time_to_close`, which counts them as censored.

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
    results = _closed(log, pipeline, start, end, by, "cumulative", True)
    out = {r.name or "": r.durations for r in results if r.durations is not None}
    return out[""] if by is None else out


# -- active-deal funnel -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ActiveFunnel(TableView):
    """The open deals at a moment, counted at their current stage.

    Attributes
    ----------
    funnel
        One stage per open stage; ``data`` holds the deal ids, ``amount`` the
        sum of their known amounts (``None`` without an amount column, or when
        none of the stage's deals has one).
    name, as_of
        The owner (or ``None``) and the snapshot time (ISO, ``None`` = after
        every event).
    open_deals, won, lost, frozen
        Deals by their state at ``as_of``; together they are every deal with
        an event at or before ``as_of`` (``started``).
    amount_unknown
        Open deals without a known amount.
    unknown_time_deals
        Deals left out because an undated event may fall on either side of
        ``as_of``.
    """

    funnel: Funnel
    name: str | None
    as_of: str | None
    open_deals: int
    won: int
    lost: int
    frozen: int
    amount_unknown: int
    unknown_time_deals: int

    @property
    def started(self) -> int:
        """Deals with at least one event at or before ``as_of``."""
        return self.open_deals + self.won + self.lost + self.frozen

    @property
    def table(self) -> ResultTable:
        """Per open stage: deals and amount."""
        rows = tuple((s.name, int(s.count), s.amount) for s in self.funnel.stages)
        return ResultTable(self.name or "open deals", ("stage", "deals", "amount"), rows)

    def to_json(self, *, indent: int | None = None) -> str:
        """Summary and stages as strict JSON."""
        payload = {
            "name": self.name,
            "as_of": self.as_of,
            "open_deals": self.open_deals,
            "won": self.won,
            "lost": self.lost,
            "frozen": self.frozen,
            "amount_unknown": self.amount_unknown,
            "unknown_time_deals": self.unknown_time_deals,
            "stages": self.to_records(),
        }
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    def __str__(self) -> str:
        return f"{self.table}\n{self.open_deals} open deals as of {self.as_of or 'the end'}"

    def __repr__(self) -> str:
        return (
            f"ActiveFunnel(name={self.name!r}, as_of={self.as_of!r}, "
            f"open_deals={self.open_deals}, won={self.won}, lost={self.lost}, "
            f"frozen={self.frozen})"
        )


@dataclass(frozen=True, slots=True)
class _Snapshot:
    pipe: Pipeline
    ev: eng.Events
    t: int | None
    last: I64
    group: I64  # per deal group
    amount: F64 | None  # per deal last known amount


def _snapshot(
    log: DealLog, pipeline: Pipeline | None, as_of: Instant, by: By, amount: bool = True
) -> _Snapshot:
    pipe, codes = eng.label_codes(log, pipeline)
    t = _instant(as_of, "as_of")
    ev = eng.sorted_events(
        log, codes, upto=t, inclusive=True, amount=amount and log.amount is not None
    )
    last = ev.at("code", ev.ends)
    if by is None:
        group = np.zeros(len(ev.starts), dtype=np.int64)
    else:
        assert log.owner is not None
        group = ev.at("owner", ev.ends).astype(np.int64)
    amt = eng.last_amount(ev) if ev.amount is not None else None
    return _Snapshot(pipe, ev, t, last, group, amt)


@overload
def active_funnel(
    log: DealLog, pipeline: Pipeline | None = None, as_of: Instant = None, by: None = None
) -> ActiveFunnel: ...
@overload
def active_funnel(
    log: DealLog, pipeline: Pipeline | None = None, as_of: Instant = None, *, by: Literal["owner"]
) -> dict[str, ActiveFunnel]: ...
def active_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    as_of: Instant = None,
    by: By = None,
) -> ActiveFunnel | dict[str, ActiveFunnel]:
    """The open deals at ``as_of``, counted at their current stage.

    A deal is open at ``as_of`` when its last event at or before ``as_of`` is
    an open stage (not won, lost or frozen). ``as_of=None`` looks after every
    event, including undated ones.

    Examples
    --------
    >>> p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    >>> rows = [("A", "Call", "2024-01-01"), ("A", "Offer", "2024-01-03"),
    ...         ("A", "Won", "2024-01-10"), ("B", "Call", "2024-01-02")]
    >>> log = DealLog.from_records([dict(zip(("deal", "stage", "time"), r)) for r in rows], p)
    >>> active_funnel(log, as_of="2024-01-03").funnel.counts  # A's Offer at 01-03 counts
    array([1., 1.])
    >>> active_funnel(log, as_of="2024-01-10").funnel["Call"].data.tolist()
    ['B']
    """
    names = _groups(log, by)
    snap = _snapshot(log, pipeline, as_of, by)
    pipe, ev, last = snap.pipe, snap.ev, snap.last
    k = pipe.n_stages
    n_groups = len(names)
    is_open = last < k
    o_idx = np.flatnonzero(is_open)
    stage = last[o_idx]
    grp = snap.group[o_idx]
    key = grp * k + stage
    order = np.argsort(key, kind="stable")
    bounds = _segments(key, n_groups * k)
    ids = log._ids_of(ev.at("deal", ev.starts[o_idx[order]]))
    amounts = None if snap.amount is None else snap.amount[o_idx][order]

    def per_group(mask: B) -> I64:
        return np.bincount(snap.group[mask], minlength=n_groups)

    left_out = _left_out(ev, by, n_groups)
    n_won = per_group(last == pipe.won_code)
    n_lost = per_group(last == pipe.lost_code)
    n_frozen = per_group(last == pipe.frozen_code) if pipe.frozen_code is not None else None
    out = []
    for g, name in enumerate(names):
        stages = []
        unknown_amount = 0
        for j, label in enumerate(pipe.stages):
            a, b = int(bounds[g * k + j]), int(bounds[g * k + j + 1])
            amount = None
            if amounts is not None:
                seg = amounts[a:b]
                missing = int(np.isnan(seg).sum())
                unknown_amount += missing
                # A stage whose open deals all lack an amount has an unknown amount, not 0.
                amount = None if seg.size and missing == seg.size else float(np.nansum(seg))
            stages.append(Stage(label, b - a, amount, _readonly(ids[a:b])))
        funnel = Funnel(tuple(stages), name)
        out.append(
            ActiveFunnel(
                funnel=funnel,
                name=name,
                as_of=_iso(snap.t),
                open_deals=int(funnel.counts.sum()),
                won=int(n_won[g]),
                lost=int(n_lost[g]),
                frozen=0 if n_frozen is None else int(n_frozen[g]),
                amount_unknown=unknown_amount,
                unknown_time_deals=int(left_out[g]),
            )
        )
    return out[0] if by is None else {r.name or "": r for r in out}


# -- forecast -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Forecast(TableView):
    """Expected won deals and amount from the deals open at ``as_of``.

    ``table`` has one row per open stage: ``stage``, ``open_deals``,
    ``amount`` (sum of the known amounts), ``amount_unknown`` (open deals
    without one), ``probability``, ``expected_won`` and ``expected_amount``.
    A stage whose open deals all lack an amount has ``amount`` and
    ``expected_amount`` ``None`` (unknown, not 0); so has every stage when the
    log has no amount column.

    ``expected_amount`` sums probability times amount over the open deals
    with a known amount; ``amount_unknown`` counts the open deals left out of
    that sum for want of an amount, so a partial sum is visible as such. It
    is NaN (undefined) when the log has no amount column or when there are
    open deals and none of them has a known amount; with no open deals it is
    0. ``amount_unknown`` is 0 when the log has no amount column.

    A stage with open deals but no probability (no closed deal ever reached
    it) makes both totals NaN: an honest "cannot say" rather than a silent
    zero.
    """

    name: str | None
    as_of: str | None
    method: Literal["historical", "weighted"]
    table: ResultTable
    expected_won: float
    expected_amount: float
    amount_unknown: int
    trained_on: int

    def to_json(self, *, indent: int | None = None) -> str:
        """Totals and stages as strict JSON."""
        payload = {
            "name": self.name,
            "as_of": self.as_of,
            "method": self.method,
            "expected_won": json_number(self.expected_won),
            "expected_amount": json_number(self.expected_amount),
            "amount_unknown": self.amount_unknown,
            "trained_on": self.trained_on,
            "stages": self.to_records(),
        }
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    def __str__(self) -> str:
        u = self.amount_unknown
        note = f" ({u} open deal{'' if u == 1 else 's'} without an amount)" if u else ""
        return (
            f"{self.table}\nexpected won: {fmt_number(self.expected_won)}, "
            f"expected amount: {fmt_number(self.expected_amount)}{note}"
        )

    def __repr__(self) -> str:
        return (
            f"Forecast(name={self.name!r}, method={self.method!r}, "
            f"expected_won={self.expected_won!r}, expected_amount={self.expected_amount!r}, "
            f"amount_unknown={self.amount_unknown})"
        )


def _probabilities(
    snap: _Snapshot, method: str, probabilities: Mapping[str, float] | None
) -> tuple[F64, int]:
    pipe, k = snap.pipe, snap.pipe.n_stages
    if method == "weighted":
        if probabilities is None:
            raise FunnelDataError("method='weighted' needs probabilities={stage: p}")
        unknown = [s for s in probabilities if s not in pipe.stages]
        if unknown:
            msg = f"probabilities name {unknown[0]!r}, not an open stage of {pipe.stages!r}"
            raise FunnelDataError(msg)
        missing = [s for s in pipe.stages if s not in probabilities]
        if missing:
            msg = f"probabilities lack the stage {missing[0]!r} (every open stage needs one)"
            raise FunnelDataError(msg)
        p = np.array([probabilities[s] for s in pipe.stages], dtype=np.float64)
        bad = np.flatnonzero(~((p >= 0) & (p <= 1)))
        if bad.size:
            s = pipe.stages[int(bad[0])]
            msg = f"probability of {s!r} must be in [0, 1] (got {probabilities[s]!r})"
            raise FunnelDataError(msg)
        return p, 0
    if method != "historical":
        msg = f"method must be 'historical' or 'weighted' (got {method!r})"
        raise FunnelDataError(msg)
    if probabilities is not None:
        raise FunnelDataError("probabilities are only used with method='weighted'")
    last = snap.last
    won = last == pipe.won_code
    closed = won | (last == pipe.lost_code)
    reach = np.where(won, k, eng.furthest_open(snap.ev, k).astype(np.int64))[closed]
    reached = np.cumsum(np.bincount(reach + 1, minlength=k + 2)[::-1])[::-1][1 : k + 1]
    p = np.full(k, np.nan)
    np.divide(float(won.sum()), reached, out=p, where=reached > 0)
    return p, int(closed.sum())


@overload
def forecast(
    log: DealLog,
    pipeline: Pipeline | None = None,
    as_of: Instant = None,
    method: Literal["historical", "weighted"] = "historical",
    probabilities: Mapping[str, float] | None = None,
    by: None = None,
) -> Forecast: ...
@overload
def forecast(
    log: DealLog,
    pipeline: Pipeline | None = None,
    as_of: Instant = None,
    method: Literal["historical", "weighted"] = "historical",
    probabilities: Mapping[str, float] | None = None,
    *,
    by: Literal["owner"],
) -> dict[str, Forecast]: ...
def forecast(
    log: DealLog,
    pipeline: Pipeline | None = None,
    as_of: Instant = None,
    method: Literal["historical", "weighted"] = "historical",
    probabilities: Mapping[str, float] | None = None,
    by: By = None,
) -> Forecast | dict[str, Forecast]:
    """Expected won deals and amount from the open deals at ``as_of``.

    ``historical``: the probability of a deal open at stage s is
    P(won | reached s) among the deals closed at ``as_of``, with cumulative
    reach: won deals / closed deals that reached s or beyond. ``weighted``:
    the caller's ``probabilities`` (one per open stage, in [0, 1]).
    With ``by="owner"`` each owner's open deals are weighted with the team's
    probabilities (per-owner histories are usually too short to learn from).

    The expected amount sums probability times amount over the open deals
    with a known amount, and the result's ``amount_unknown`` counts the open
    deals left out for want of one. When no open deal has a known amount (or
    the log has no amount column) the expected amount is NaN, not 0.

    Examples
    --------
    >>> p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    >>> rows = [("A", "Call", "2024-01-01"), ("A", "Won", "2024-01-10", 100),
    ...         ("B", "Call", "2024-01-01"), ("B", "Lost", "2024-01-04"),
    ...         ("C", "Call", "2024-01-05", 40), ("D", "Offer", "2024-01-06", 60)]
    >>> recs = [dict(zip(("deal", "stage", "time", "amount"), r)) for r in rows]
    >>> log = DealLog.from_records(recs, p, amount="amount")
    >>> fc = forecast(log, as_of="2024-01-31")
    >>> fc.table.column("probability"), fc.expected_won, fc.expected_amount
    ([0.5, 1.0], 1.5, 80.0)

    Without D's amount only C's 40 is weighed; without C's too, nothing is:

    >>> no_d = [dict(r, amount=None) if r["deal"] == "D" else r for r in recs]
    >>> fc = forecast(DealLog.from_records(no_d, p, amount="amount"), as_of="2024-01-31")
    >>> fc.expected_amount, fc.amount_unknown
    (20.0, 1)
    >>> neither = [dict(r, amount=None) if r["deal"] in ("C", "D") else r for r in recs]
    >>> fc = forecast(DealLog.from_records(neither, p, amount="amount"), as_of="2024-01-31")
    >>> fc.expected_amount, fc.amount_unknown
    (nan, 2)
    """
    names = _groups(log, by)
    snap = _snapshot(log, pipeline, as_of, by)
    prob, trained = _probabilities(snap, method, probabilities)
    k = snap.pipe.n_stages
    is_open = snap.last < k
    stage = snap.last[is_open]
    grp = snap.group[is_open]
    n_groups = len(names)
    key = grp * k + stage
    n_open = np.bincount(key, minlength=n_groups * k).reshape(n_groups, k)
    amt_sum: np.ndarray = np.zeros((n_groups, k))
    amt_unknown = np.zeros((n_groups, k), dtype=np.int64)
    if snap.amount is not None:
        a = snap.amount[is_open]
        known = ~np.isnan(a)
        amt_sum = np.bincount(key[known], weights=a[known], minlength=n_groups * k)
        amt_sum = amt_sum.reshape(n_groups, k)
        amt_unknown = np.bincount(key[~known], minlength=n_groups * k).reshape(n_groups, k)
    out = []
    cols = (
        "stage",
        "open_deals",
        "amount",
        "amount_unknown",
        "probability",
        "expected_won",
        "expected_amount",
    )
    has_amount = snap.amount is not None
    for g, name in enumerate(names):
        rows = []
        total_won = 0.0
        total_amount = 0.0
        for j, label in enumerate(snap.pipe.stages):
            n = int(n_open[g, j])
            missing = int(amt_unknown[g, j])
            pj = float(prob[j])
            exp_won = n * pj if n else 0.0
            total_won += exp_won
            # A stage whose open deals all lack an amount has an unknown amount, not 0.
            amount: float | None = None
            exp_amt: float | None = None
            if has_amount and not (n and missing == n):
                amount = float(amt_sum[g, j])
                exp_amt = amount * pj if n else 0.0
                total_amount += exp_amt
            rows.append((label, n, amount, missing, pj, exp_won, exp_amt))
        n_total, n_unknown = int(n_open[g].sum()), int(amt_unknown[g].sum())
        # NaN without amounts, when every open deal lacks one, or (as expected_won)
        # when open deals sit at a stage without a probability.
        undefined = not has_amount or (n_total > 0 and n_unknown == n_total)
        undefined = undefined or math.isnan(total_won)
        out.append(
            Forecast(
                name=name,
                as_of=_iso(snap.t),
                method=method,
                table=ResultTable(name or "forecast", cols, tuple(rows)),
                expected_won=total_won,
                expected_amount=math.nan if undefined else total_amount,
                amount_unknown=n_unknown,
                trained_on=trained,
            )
        )
    return out[0] if by is None else {r.name or "": r for r in out}


# -- time to close -------------------------------------------------------------------
@overload
def time_to_close(
    log: DealLog,
    pipeline: Pipeline | None = None,
    as_of: Instant = None,
    outcome: Literal["any", "won", "lost"] = "any",
    by: None = None,
) -> SurvivalCurve: ...
@overload
def time_to_close(
    log: DealLog,
    pipeline: Pipeline | None = None,
    as_of: Instant = None,
    outcome: Literal["any", "won", "lost"] = "any",
    *,
    by: Literal["owner"],
) -> dict[str, SurvivalCurve]: ...
def time_to_close(
    log: DealLog,
    pipeline: Pipeline | None = None,
    as_of: Instant = None,
    outcome: Literal["any", "won", "lost"] = "any",
    by: By = None,
) -> SurvivalCurve | dict[str, SurvivalCurve]:
    """Time from a deal's first event to its outcome, open deals censored at ``as_of``.

    Every deal with an event at or before ``as_of`` (default: the latest
    dated event) enters: a deal closed by then contributes its cycle time, one
    still open or frozen is censored at ``as_of`` minus its first event.
    Times are in days.

    ``outcome="any"`` gives the Kaplan-Meier curve of closing. For ``"won"``
    (or ``"lost"``) the other outcome is a *competing event*, not a
    censoring: censoring a lost deal would pretend it could still be won and
    inflate the win curve. The result is the Aalen-Johansen cumulative
    incidence of winning (:func:`~salesfunnel.cumulative_incidence`), with
    ``survival`` = P(not won by t); it levels off at the overall win share,
    so its median exists only when more than half of the deals end up won.

    Examples
    --------
    >>> p = Pipeline(["Call"], won="Won", lost="Lost")
    >>> rows = [("A", "Call", "2024-01-01"), ("A", "Won", "2024-01-03"),
    ...         ("B", "Call", "2024-01-01"), ("B", "Lost", "2024-01-05"),
    ...         ("C", "Call", "2024-01-02")]
    >>> log = DealLog.from_records([dict(zip(("deal", "stage", "time"), r)) for r in rows], p)
    >>> km = time_to_close(log, as_of="2024-01-06")
    >>> km.time.tolist(), km.survival.round(4).tolist(), km.median  # C is at risk at 4 days
    ([0.0, 2.0, 4.0], [1.0, 0.6667, 0.3333], 4.0)
    >>> time_to_close(log, as_of="2024-01-06", outcome="won").survival.round(4).tolist()
    [1.0, 0.6667, 0.6667]
    """
    if outcome not in ("any", "won", "lost"):
        msg = f"outcome must be 'any', 'won' or 'lost' (got {outcome!r})"
        raise FunnelDataError(msg)
    names = _groups(log, by)
    if as_of is None:
        latest = _latest(log)
        as_of = None if latest is None else np.datetime64(latest, "s")
    snap = _snapshot(log, pipeline, as_of, by, amount=False)
    ev, pipe, last = snap.ev, snap.pipe, snap.last
    won = last == pipe.won_code
    lost = last == pipe.lost_code
    closed = won | lost
    first = ev.at("lo", ev.starts)
    end = np.where(closed, ev.at("lo", ev.ends), snap.t if snap.t is not None else 0)
    known = ev.at("known", ev.starts) & (~closed | ev.at("known", ev.ends))
    if snap.t is None:
        known &= closed  # without a snapshot time an open deal has no censoring time
    dur = (end - first) / DAY
    if outcome == "any":
        kind = closed.astype(np.int64)
    elif outcome == "won":
        kind = np.where(won, 1, np.where(lost, 2, 0))
    else:
        kind = np.where(lost, 1, np.where(won, 2, 0))
    out: list[SurvivalCurve] = []
    left_out = _left_out(ev, by, len(names))
    for g in range(len(names)):
        sel = (snap.group == g) & known
        unknown = int(np.count_nonzero((snap.group == g) & ~known)) + int(left_out[g])
        if outcome == "any":
            curve = kaplan_meier(dur[sel], kind[sel] == 1)
        else:
            curve = cumulative_incidence(dur[sel], kind[sel])
        out.append(_with_unknown(curve, unknown))
    return out[0] if by is None else {name or "": c for name, c in zip(names, out, strict=True)}


def _with_unknown(curve: SurvivalCurve, unknown: int) -> SurvivalCurve:
    return SurvivalCurve(
        curve.method,
        curve.time,
        curve.at_risk,
        curve.events,
        curve.competing,
        curve.censored,
        curve.survival,
        curve.std_error,
        curve.median,
        curve.n,
        unknown,
    )


# -- monthly volume -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MonthlyVolume(TableView):
    """Won deals and won amount per calendar month of the win (and owner).

    ``table`` columns: ``owner`` (with ``by="owner"``), ``month`` (``YYYY-MM``),
    ``won_deals``, ``won_amount`` (known amounts; NaN without an amount
    column), ``amount_unknown``. Every month from the first to the last win
    is listed for every owner, zeros included, so rows line up side by side.
    """

    by: By
    table: ResultTable
    unknown_time_deals: int

    def to_json(self, *, indent: int | None = None) -> str:
        """The rows as strict JSON."""
        payload = {
            "by": self.by,
            "unknown_time_deals": self.unknown_time_deals,
            "rows": self.to_records(),
        }
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    def __str__(self) -> str:
        return str(self.table)

    def __repr__(self) -> str:
        return f"MonthlyVolume(by={self.by!r}, rows={len(self.table)})"


def monthly_volume(
    log: DealLog,
    pipeline: Pipeline | None = None,
    by: By = "owner",
    start: Instant = None,
    end: Instant = None,
) -> MonthlyVolume:
    """Won amount and count per calendar month of the win, per owner by default.

    A deal counts in the month of its final win within the period (a deal
    won, reopened and still open at ``end`` is not won). Wins with an
    unknown date are left out and counted in ``unknown_time_deals``.

    Examples
    --------
    >>> p = Pipeline(["Call"], won="Won", lost="Lost")
    >>> rows = [("A", "Won", "2024-01-10", 100, "Ann"), ("B", "Won", "2024-03-02", 50, "Ann"),
    ...         ("C", "Won", "2024-01-20", 70, "Bob")]
    >>> recs = [dict(zip(("deal", "stage", "time", "amount", "owner"), r)) for r in rows]
    >>> log = DealLog.from_records(recs, p, amount="amount", owner="owner")
    >>> print(monthly_volume(log))
    won by month
    owner  month    won_deals  won_amount  amount_unknown
    -----  -------  ---------  ----------  --------------
    Ann    2024-01          1         100               0
    Ann    2024-02          0           0               0
    Ann    2024-03          1          50               0
    Bob    2024-01          1          70               0
    Bob    2024-02          0           0               0
    Bob    2024-03          0           0               0
    """
    names = _groups(log, by)
    pipe, codes = eng.label_codes(log, pipeline)
    s, e = _instant(start, "start"), _instant(end, "end")
    ev = eng.sorted_events(log, codes, upto=e, inclusive=False, amount=log.amount is not None)
    last = ev.at("code", ev.ends)
    won = last == pipe.won_code
    known = ev.at("known", ev.ends)
    close = ev.at("lo", ev.ends)
    unknown = ev.unknown + int(np.count_nonzero(won & ~known))
    sel = won & known
    if s is not None:
        sel &= close >= s
    months = close[sel].astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    if by is None:
        grp = np.zeros(months.size, np.int64)
    else:
        assert log.owner is not None
        grp = ev.at("owner", ev.ends)[sel].astype(np.int64)
    amt = eng.last_amount(ev)[sel] if ev.amount is not None else None
    rows: list[tuple[Cell, ...]] = []
    if months.size:
        m0, m1 = int(months.min()), int(months.max())
        n_m = m1 - m0 + 1
        key = grp * n_m + (months - m0)
        size = len(names) * n_m
        count = np.bincount(key, minlength=size)
        total: np.ndarray = np.zeros(size)
        miss = np.zeros(size, dtype=np.int64)
        if amt is not None:
            ok = ~np.isnan(amt)
            total = np.bincount(key[ok], weights=amt[ok], minlength=size)
            miss = np.bincount(key[~ok], minlength=size)
        for g, name in enumerate(names):
            for m in range(n_m):
                i = g * n_m + m
                label = str(np.datetime64(m0 + m, "M"))
                value: float = float(total[i]) if amt is not None else math.nan
                row: tuple[Cell, ...] = (label, int(count[i]), value, int(miss[i]))
                rows.append(row if by is None else (name, *row))
    cols: tuple[str, ...] = ("month", "won_deals", "won_amount", "amount_unknown")
    if by is not None:
        cols = ("owner", *cols)
    return MonthlyVolume(by, ResultTable("won by month", cols, tuple(rows)), unknown)


# -- stalled deals --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StalledDeals(TableView):
    """Open deals with no event for longer than their stage's threshold.

    ``table`` columns: ``deal``, ``owner``, ``stage``, ``last_event`` (ISO),
    ``idle_days``; longest idle first, then by deal id.
    """

    as_of: str | None
    table: ResultTable
    unknown_time_deals: int

    @property
    def deal_ids(self) -> list[Cell]:
        """The stalled deals' ids, in table order."""
        return self.table.column("deal")

    def to_json(self, *, indent: int | None = None) -> str:
        """The rows as strict JSON."""
        payload = {
            "as_of": self.as_of,
            "unknown_time_deals": self.unknown_time_deals,
            "rows": self.to_records(),
        }
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return f"StalledDeals(as_of={self.as_of!r}, deals={len(self.table)})"


def stalled_deals(
    log: DealLog,
    pipeline: Pipeline | None = None,
    as_of: Instant = None,
    max_days: float | Mapping[str, float] = 30.0,
) -> StalledDeals:
    """Open deals at ``as_of`` whose last event is more than ``max_days`` old.

    ``max_days`` is one threshold for every stage or a mapping of stage to
    threshold; stages missing from the mapping are never reported. A deal
    whose last event is undated cannot be judged and is counted in
    ``unknown_time_deals``. ``as_of`` defaults to the latest dated event.

    Examples
    --------
    >>> p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    >>> rows = [("A", "Call", "2024-01-01"), ("B", "Offer", "2024-01-20"),
    ...         ("C", "Call", "2024-01-25")]
    >>> log = DealLog.from_records([dict(zip(("deal", "stage", "time"), r)) for r in rows], p)
    >>> stalled_deals(log, as_of="2024-01-31", max_days={"Call": 5, "Offer": 30}).deal_ids
    ['A', 'C']
    """
    pipe, _ = eng.label_codes(log, pipeline)
    k = pipe.n_stages
    if isinstance(max_days, Mapping):
        unknown_stage = [s for s in max_days if s not in pipe.stages]
        if unknown_stage:
            msg = f"max_days names {unknown_stage[0]!r}, not an open stage of {pipe.stages!r}"
            raise FunnelDataError(msg)
        limits = [max_days.get(s, math.inf) for s in pipe.stages]
    else:
        limits = [max_days] * k
    for s, v in zip(pipe.stages, limits, strict=True):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v) or v < 0:
            msg = f"max_days for {s!r} must be a number >= 0 (got {v!r})"
            raise FunnelDataError(msg)
    if as_of is None:
        latest = _latest(log)
        as_of = None if latest is None else np.datetime64(latest, "s")
    snap = _snapshot(log, pipeline, as_of, None, amount=False)
    ev, last = snap.ev, snap.last
    is_open = last < k
    known = ev.at("known", ev.ends)
    unknown = ev.unknown + int(np.count_nonzero(is_open & ~known))
    t = snap.t if snap.t is not None else 0
    last_lo = ev.at("lo", ev.ends)
    idle = (t - last_lo) / DAY
    limit = np.array(limits, dtype=np.float64)[np.where(is_open, last, 0)]
    hit = np.flatnonzero(is_open & known & (idle > limit))
    ids = log._ids_of(ev.at("deal", ev.starts[hit]))
    owners = ev.at("owner", ev.ends) if log.owner is not None else None
    order = sorted(range(hit.size), key=lambda i: (-idle[hit[i]], str(ids[i])))
    rows: list[tuple[Cell, ...]] = []
    for i in order:
        d = int(hit[i])
        owner = log.owners[int(owners[d])] if owners is not None else None
        ident = ids[i].item() if isinstance(ids[i], np.generic) else ids[i]
        rows.append(
            (ident, owner, pipe.stages[int(last[d])], _iso(int(last_lo[d])), float(idle[d]))
        )
    cols = ("deal", "owner", "stage", "last_event", "idle_days")
    return StalledDeals(_iso(snap.t), ResultTable("stalled deals", cols, tuple(rows)), unknown)
