"""Durations: time in each stage and cycle time of closed deals, and time to close.

* **Time in a stage** sums every visit: a visit lasts from the stage's event to
  the deal's next event, so the span after a won, lost or frozen event counts
  in no stage. The cycle time runs from a deal's first event to its outcome.
* Statistics are computed on whole seconds and reported in days: the mean
  from an exact integer sum, the median and 90th percentile (linear, as
  ``numpy.quantile``) read off one sort.
* :func:`time_to_close` counts the deals still open as censored (survival
  analysis), so slow open deals are not left out.

:func:`~salesfunnel.stage_durations` (the closed-deal population) lives with
the closed-deal funnel in :mod:`salesfunnel.deals.closed`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt

from .._format import json_number
from .._table import Cell, ResultTable
from ..errors import FunnelDataError
from .groups import GroupBy, grouping
from .log import DealLog
from .pipeline import Pipeline
from .shared import (
    DAY,
    F64,
    I64,
    B,
    By,
    Instant,
    as_of_or_latest,
    dumps,
    group_names,
    keyword_options,
    left_out_counts,
    parse_instant,
    segments,
    snapshot,
)
from .survival import SurvivalCurve, cumulative_incidence, kaplan_meier

_SUM_RUNS = 256  # up to this many runs of a narrow type, summed one by one (tests change it)

__all__ = ["DealTimes", "DurationStats", "StageDurations", "deal_times", "time_to_close"]

Outcome = Literal["any", "won", "lost"]


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


def group_stats(
    group: npt.NDArray[np.integer],
    seconds: I64,
    known: B | None,
    n_groups: int,
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
    if 0 < n_groups <= 1 << 16 and v.size >= 64 * n_groups:
        # Few large groups: a stable radix sort by group (one pass over bytes
        # for up to 256 groups), then per group a partition at the positions
        # the statistics read, O(n) where sorting the values is O(n log n).
        # Only those positions (and the exact integer sums) are read, so the
        # results are the sorted path's.
        narrow = np.uint8 if n_groups <= 1 << 8 else np.uint16
        v = v[np.argsort(g.astype(narrow), kind="stable")]
        bounds = np.zeros(n_groups + 1, dtype=np.int64)
        np.cumsum(np.bincount(g, minlength=n_groups), out=bounds[1:])
        return run_stats(v, bounds, unknown)
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
        bounds = segments(g[order].astype(np.int64), n_groups)
    return _stats_of_runs(v, bounds, unknown)


def run_stats(v: I64, bounds: I64, unknown: I64) -> list[DurationStats]:
    """:func:`group_stats` of values already in runs, one per group: ``v[bounds[i]:bounds[i + 1]]``.

    Each run is partitioned in place at the positions the statistics read
    (``v`` is the caller's scratch), so they are those of a sorted run.
    """
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if b > a:
            v[a:b].partition(_read_positions(b - a))
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
    lo, hi = _median_index(mf)
    lo += a
    hi += a
    median = (v[lo].astype(np.float64) + v[hi].astype(np.float64)) / 2.0
    p90 = _sorted_quantile(v, a, mf, 0.9)
    sums = _run_sums(v, a, mf)
    out = [DurationStats(0, int(u), math.nan, math.nan, math.nan) for u in unknown]
    for i, g in enumerate(full.tolist()):
        n = int(mf[i])
        mean = float(sums[i]) / n  # an exact integer sum, then one division
        stats = (mean / DAY, float(median[i]) / DAY, float(p90[i]) / DAY)
        out[g] = DurationStats(n, int(unknown[g]), *stats)
    return out


def _run_sums(v: np.ndarray, start: I64, count: I64) -> I64:
    """The exact integer sum of each non-empty run, in 64 bits whatever the type of ``v``.

    The runs are contiguous and cover ``v``. ``np.add.reduceat`` with an
    8-byte ``dtype`` first copies a narrower ``v`` whole (fresh memory at
    millions of values); summed run by run, the cast is buffered. Same sums.
    """
    if not start.size:
        return np.zeros(0, np.int64)
    if v.dtype == np.int64 or start.size > _SUM_RUNS:
        return np.add.reduceat(v, start, dtype=np.int64)
    pairs = zip(start.tolist(), count.tolist(), strict=True)
    return np.array([np.add.reduce(v[a : a + n], dtype=np.int64) for a, n in pairs], np.int64)


def _sorted_quantile(v: I64, start: I64, count: I64, q: float) -> F64:
    """``np.quantile(run, q)`` (method "linear") of sorted runs of ``v``, all at once.

    The arithmetic is numpy's own, step for step (virtual index ``(n - 1) * q``,
    then ``a + (b - a) * g``, or ``b - (b - a) * (1 - g)`` when ``g >= 0.5``), so
    the results are bit-for-bit those of ``np.quantile`` (tested).
    """
    i, j, gamma = _quantile_index(count, q)
    a, b = v[start + i], v[start + j]
    diff = b - a
    out: F64 = a + diff * gamma
    upper = gamma >= 0.5
    out[upper] = (b - diff * (1 - gamma))[upper]
    return out


def _median_index(count: I64) -> tuple[I64, I64]:
    """Positions of the two middle values of sorted runs of ``count`` values (equal if odd)."""
    lo = (count - 1) // 2
    return lo, lo + (count % 2 == 0)


def _quantile_index(count: I64, q: float) -> tuple[I64, I64, F64]:
    """``np.quantile``'s (method "linear") two positions and weight in runs of ``count``."""
    virtual = (count - 1) * q
    prev = np.floor(virtual)
    gamma = virtual - prev
    i = prev.astype(np.int64)
    j = np.minimum(i + 1, count - 1)
    top = virtual >= count - 1  # numpy takes the last value there
    i[top] = count[top] - 1
    return i, j, gamma


def _read_positions(count: int) -> list[int]:
    """The positions of a sorted run that :func:`_stats_of_runs` reads."""
    m = np.array([count], dtype=np.int64)
    lo, hi = _median_index(m)
    i, j, _ = _quantile_index(m, 0.9)
    return sorted({int(lo[0]), int(hi[0]), int(i[0]), int(j[0])})


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
        return dumps(payload, indent)

    @property
    def table(self) -> ResultTable:
        """The stage rows (:attr:`stages`), as every result names its table."""
        return self.stages

    def to_pandas(self) -> Any:
        """The stage rows as a DataFrame (requires pandas)."""
        return self.stages.to_pandas()

    def to_polars(self) -> Any:
        """The stage rows as a polars DataFrame (requires polars)."""
        return self.stages.to_polars()

    def _repr_html_(self) -> str:
        return self.stages._repr_html_()

    def __repr__(self) -> str:
        return f"StageDurations(name={self.name!r}, median_cycle_days={self.cycle.median_days!r})"


def _f(value: Cell) -> float:
    return math.nan if value is None else float(value)


def durations_by_group(
    stage_times: list[tuple[I64, I64, B]],
    pipe: Pipeline,
    cycles: list[DurationStats],
    names: list[str | None],
) -> list[StageDurations]:
    """Per group, the time in each open stage: ``stage_times`` holds, per open stage,
    the group, summed visit time (s) and known flag of each deal that visited it."""
    n_groups = len(names)
    per_stage = []
    for groups, totals, known in stage_times:
        all_known = bool(known.all())
        stats = group_stats(groups, totals, None if all_known else known, n_groups)
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


# -- time to close -------------------------------------------------------------------
@overload
def time_to_close(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    as_of: Instant = None,
    by: None = None,
    outcome: Outcome = "any",
) -> SurvivalCurve: ...
@overload
def time_to_close(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    as_of: Instant = None,
    by: str | list[str] | tuple[str, ...],
    outcome: Outcome = "any",
) -> dict[Any, SurvivalCurve]: ...
@keyword_options("as_of", "outcome", "by")
def time_to_close(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    as_of: Instant = None,
    by: GroupBy = None,
    outcome: Outcome = "any",
) -> SurvivalCurve | dict[Any, SurvivalCurve]:
    """Time from a deal's first event to its outcome, open deals censored at ``as_of``.

    Every deal with an event at or before ``as_of`` (default: the latest
    dated event) enters: a deal closed by then contributes its cycle time, one
    still open or frozen is censored at ``as_of`` minus its first event.
    Times are in days. ``by=None`` gives one curve; ``by="owner"`` a dict of
    one curve per owner of the log (the rule of every analysis).

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
    grp = grouping(log, by)
    as_of = as_of_or_latest(grp.log, as_of)
    times = deal_times(grp.log, pipeline, as_of, grp.by)
    return grp.result(survival_curves(times, parse_instant(as_of, "as_of"), outcome))


@dataclass(frozen=True, slots=True)
class DealTimes:
    """Per deal with an event at or before the snapshot, sorted by deal id: what
    :func:`time_to_close` reads. ``close`` is the outcome's time (0 while open);
    ``known`` is False when a time the deal needs is unknown. ``names`` are the
    result groups and ``left_out`` their deals left out for an unknown time."""

    names: list[str | None]
    left_out: I64
    ids: np.ndarray
    group: I64
    first: I64
    close: I64
    won: B
    lost: B
    known: B


def deal_times(log: DealLog, pipeline: Pipeline | None, as_of: Instant, by: By) -> DealTimes:
    """The :class:`DealTimes` of ``log`` at ``as_of`` (all events when ``None``)."""
    names = group_names(log, by)
    snap = snapshot(log, pipeline, as_of, by, amount=False)
    ev, pipe, last = snap.ev, snap.pipe, snap.last
    won = last == pipe.won_code
    lost = last == pipe.lost_code
    closed = won | lost
    known = ev.at("known", ev.starts) & (~closed | ev.at("known", ev.ends))
    return DealTimes(
        names=names,
        left_out=left_out_counts(ev, by, len(names)),
        ids=log.ids_of(ev.first("deal")),
        group=snap.group,
        first=ev.at("lo", ev.starts),
        close=np.where(closed, ev.at("lo", ev.ends), 0),
        won=won,
        lost=lost,
        known=known,
    )


def survival_curves(times: DealTimes, t: int | None, outcome: Outcome) -> list[SurvivalCurve]:
    """Per group, the curve of :func:`time_to_close`: open deals censored at ``t`` (seconds)."""
    won, lost = times.won, times.lost
    closed = won | lost
    end = np.where(closed, times.close, t if t is not None else 0)
    known = times.known
    if t is None:
        known = known & closed  # without a snapshot time an open deal has no censoring time
    dur = (end - times.first) / DAY
    if outcome == "any":
        kind = closed.astype(np.int64)
    elif outcome == "won":
        kind = np.where(won, 1, np.where(lost, 2, 0))
    else:
        kind = np.where(lost, 1, np.where(won, 2, 0))
    out: list[SurvivalCurve] = []
    for g in range(len(times.names)):
        sel = (times.group == g) & known
        unknown = int(np.count_nonzero((times.group == g) & ~known)) + int(times.left_out[g])
        if outcome == "any":
            curve = kaplan_meier(dur[sel], kind[sel] == 1)
        else:
            curve = cumulative_incidence(dur[sel], kind[sel])
        out.append(_with_unknown(curve, unknown))
    return out


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
