"""Conversion and volume trends: the closed or cohort funnel of every period.

:func:`trend` cuts ``[start, end)`` into calendar periods (days, ISO weeks
from Monday, months or quarters; a first or last period cut by ``start`` or
``end`` is kept short) and runs :func:`~salesfunnel.closed_funnel` (or
:func:`~salesfunnel.cohort_funnel`) on each, so a row is exactly what that
analysis gives with the row's ``start`` and ``end``. Closed periods tile: a
deal counts in the period of its final closing, so the rows of a year add up
to the year. Cohort periods tile by entry (the first event). The periods are
computed in one pass, grouping each deal by its group and the period it
counts in, which gives exactly what one call per period gives (a property
test checks it); a wide-form log with undated events takes one call per period.

Why one entry point rather than a ``period=`` on each analysis: every
analysis keeps its one return rule (one result, or a dict exactly when
``by`` is given), and a trend is one table of periods with absolute counts
beside the rates, which reads as text, in the report, and as one tidy frame
(``to_pandas()``); the per-period results stay at hand in :attr:`Trend.results`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._calendar import local_seconds, utc_of_local, wall_text
from .._table import Cell, ResultTable, TableView
from .._time import zone_argument
from ..errors import FunnelDataError
from ..funnel.metrics import conversion_from_first, step_conversion
from ..funnel.model import Funnel
from .closed import ClosedFunnel, _closed
from .cohort import CohortFunnel, _cohort
from .groups import GroupBy, Grouping, grouping
from .log import DealLog
from .pipeline import Pipeline
from .shared import Instant, Mode, dumps, iso, keyword_options, parse_instant, period as bounds_of

__all__ = ["Trend", "breakdown_table", "trend"]

Period = Literal["D", "W", "M", "Q"]
Kind = Literal["closed", "cohort"]
MAX_PERIODS = 5000
"""More periods than this is refused (say, days over fourteen years): pass ``start``/``end``."""

_MAX = np.iinfo(np.int64).max
_UNIT = {"D": "day", "W": "week", "M": "month", "Q": "quarter"}


@dataclass(frozen=True, slots=True)
class Trend(TableView):
    """Per period (and group): deals, outcomes, win rate, won amount; per stage, counts.

    Attributes
    ----------
    kind, period
        ``"closed"`` or ``"cohort"``; ``"D"``, ``"W"``, ``"M"`` or ``"Q"``.
    by
        The ``by`` asked for (``None`` for the team).
    table
        One row per group and period, oldest first: the group columns (with
        ``by``), ``period`` (``2024-01``, ``2024-W05``, ``2024-Q1``,
        ``2024-01-31``), ``start``, ``end`` (ISO), ``deals`` (closed, or
        entered), ``open_deals`` (cohort only), ``won``, ``lost``,
        ``win_rate`` (``won / (won + lost)``, NaN without either),
        ``won_amount`` (known amounts of the won deals; NaN without an
        amount column) and ``unknown_time_deals``.
    stages
        One row per group, period and funnel stage: the group columns,
        ``period``, ``stage``, ``deals`` (absolute counts), ``step_conversion``
        and ``conversion_from_first``.
    results
        The funnel of each row of :attr:`table`, in the same order.
    tz
        The zone whose calendar cut the periods (its name), ``None`` for UTC's.
    """

    kind: Kind
    period: Period
    by: GroupBy
    table: ResultTable
    stages: ResultTable
    results: tuple[ClosedFunnel | CohortFunnel, ...]
    tz: str | None = None

    def to_json(self, *, indent: int | None = None) -> str:
        """Both tables as strict JSON (with ``tz`` when a zone cut the periods)."""
        payload: dict[str, Any] = {
            "kind": self.kind,
            "period": self.period,
            "by": self.by,
            "rows": self.to_records(),
            "stages": self.stages.to_records(),
        }
        if self.tz is not None:
            payload["tz"] = self.tz
        return dumps(payload, indent)

    def __str__(self) -> str:
        return str(self.table)

    def __repr__(self) -> str:
        return f"Trend(kind={self.kind!r}, period={self.period!r}, rows={len(self.table)})"


def period_bounds(
    period: str, lo: int, hi: int, *, cut: tuple[bool, bool] = (True, True)
) -> list[tuple[int, int, str]]:
    """Calendar periods ``(start, end, label)`` in seconds covering ``lo <= t < hi``.

    With ``cut``, the first period begins at ``lo`` and the last ends at
    ``hi`` (cut short when they do not fall on a period boundary); without,
    they are whole calendar periods.
    """
    if period not in _UNIT:
        msg = f"period must be 'D', 'W', 'M' or 'Q' (got {period!r})"
        raise FunnelDataError(msg, column="period", value=period)
    if hi <= lo:
        return []
    # Periods as integers: day numbers (D, W) or month numbers (M, Q) since 1970.
    unit = "M" if period in ("M", "Q") else "D"
    number = int(np.datetime64(lo, "s").astype(f"datetime64[{unit}]").astype(np.int64))
    if period == "W":
        number -= (number + 3) % 7  # 1970-01-01 was a Thursday: back to Monday
    elif period == "Q":
        number -= number % 3
    step = {"D": 1, "W": 7, "M": 1, "Q": 3}[period]
    out: list[tuple[int, int, str]] = []
    while True:
        b, e = (_seconds(n, unit) for n in (number, number + step))
        if b >= hi:
            return out
        if len(out) == MAX_PERIODS:
            msg = (
                f"more than {MAX_PERIODS} periods of one {_UNIT[period]} from "
                f"{iso(lo)} to {iso(hi)}; pass start/end or a longer period"
            )
            raise FunnelDataError(msg, column="period", value=period)
        a = max(b, lo) if cut[0] else b
        out.append((a, min(e, hi) if cut[1] else e, _label(period, number)))
        number += step


def _seconds(number: int, unit: str) -> int:
    when = np.array([number], np.int64).view(f"datetime64[{unit}]")
    return int(when.astype("datetime64[s]").view(np.int64)[0])


def _label(period: str, number: int) -> str:
    """A period's name from its number (days or months since 1970), by numpy's calendar,
    which also writes the years past 9999 that a zone's calendar can reach from the
    common "no date" sentinel 9999-12-31 (``datetime`` stops there)."""
    if period == "M":
        return str(np.datetime64(number, "M"))
    if period == "Q":
        return f"{1970 + number // 12:04d}-Q{number % 12 // 3 + 1}"
    if period == "W":
        # ISO 8601: a week belongs to the year of its Thursday, and is counted from the
        # week holding that year's first Thursday (``number`` is the week's Monday).
        thursday = np.datetime64(number + 3, "D")
        year = thursday.astype("datetime64[Y]")
        week = int((thursday - year.astype("datetime64[D]")).astype(np.int64)) // 7 + 1
        return f"{year}-W{week:02d}"
    return str(np.datetime64(number, "D"))


def _span(log: DealLog, s: int | None, e: int | None) -> tuple[int, int]:
    """``[start, end)`` in seconds: the dated events' range where a bound is ``None``."""
    dated = log.time[~np.isnat(log.time)].view(np.int64)
    if not dated.size and (s is None or e is None):
        return 0, 0  # nothing dated: no period to cut
    lo = s if s is not None else int(dated.min())
    hi = e if e is not None else int(dated.max()) + 1
    return lo, hi


@keyword_options()  # new: options are keyword-only
def trend(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    period: Period = "M",
    start: Instant = None,
    end: Instant = None,
    kind: Kind = "closed",
    as_of: Instant = None,
    by: GroupBy = None,
    mode: Mode = "cumulative",
    tz: object = None,
) -> Trend:
    """The closed (or cohort) funnel of each calendar period, as one table.

    Parameters
    ----------
    log, pipeline
        The deal events, and the stages and outcomes to analyse them with
        (default: the log's own).
    period
        ``"D"`` (days), ``"W"`` (ISO weeks from Monday), ``"M"`` (months,
        default) or ``"Q"`` (quarters).
    start, end
        The span ``start <= t < end`` to cut (default: from the log's first
        dated event to its last, inclusive).
    kind
        ``"closed"``: each period's deals are those whose final closing falls
        in it (:func:`~salesfunnel.closed_funnel`); ``"cohort"``: those whose
        first event does, counted by ``as_of`` (:func:`~salesfunnel.cohort_funnel`).
    as_of
        Cohort trends only: look at the events at or before this time.
    by
        ``None``, ``"owner"``, a kept column or a list of them: the rows of
        each group follow one another, with one column per name.
    mode
        ``"cumulative"``, ``"classic"`` or ``"strict"``, as for the funnels.
    tz
        Cut days, weeks, months and quarters on this zone's calendar (an IANA
        name such as ``"Europe/Berlin"``, or a ``tzinfo``), as CRMs report in
        the company's zone; a naive ``start``/``end``/``as_of`` is then read
        in it, and the rows' ``start`` and ``end`` are written with the
        zone's offset. Default: UTC's calendar. A period begins at the first
        instant its first day shows on the zone's clocks (see
        :mod:`salesfunnel._calendar`), so periods tile time even across
        daylight-saving changes.

    Returns
    -------
    Trend

    Raises
    ------
    FunnelDataError
        An unknown period, kind, mode or ``by``, unparsable times, ``end``
        before ``start``, ``as_of`` with ``kind="closed"``, or more than
        :data:`MAX_PERIODS` periods.

    Examples
    --------
    A won in January, B lost in February, C won on 1 March:

    >>> p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    >>> events = {"A": [("Call", "2024-01-03"), ("Won", "2024-01-20")],
    ...           "B": [("Call", "2024-01-05"), ("Lost", "2024-02-02")],
    ...           "C": [("Call", "2024-02-10"), ("Offer", "2024-02-11"), ("Won", "2024-03-01")]}
    >>> records = [{"deal": d, "stage": s, "time": t} for d in events for s, t in events[d]]
    >>> log = DealLog.from_records(records, p)
    >>> t = trend(log)
    >>> t.table.column("period"), t.table.column("won"), t.table.column("lost")
    (['2024-01', '2024-02', '2024-03'], [1, 0, 1], [0, 1, 0])
    >>> t.stages.column("deals")[:3]    # January's closed funnel: Call, Offer, Won
    [1, 1, 1]
    >>> trend(log, period="Q", kind="cohort").table.column("deals")
    [3]

    On New York's calendar C's win, at midnight UTC on 1 March, falls on 29
    February (19:00), and the rows begin at New York's midnights:

    >>> t = trend(log, tz="America/New_York")
    >>> t.table.column("period"), t.table.column("won"), t.table.column("start")
    (['2024-01', '2024-02'], [1, 1], ['2024-01-01T00:00:00-05:00', '2024-02-01T00:00:00-05:00'])
    """
    if kind not in ("closed", "cohort"):
        msg = f"kind must be 'closed' or 'cohort' (got {kind!r})"
        raise FunnelDataError(msg, column="kind", value=kind)
    if kind == "closed" and as_of is not None:
        msg = "as_of is for kind='cohort' (a closed funnel counts every event of its period)"
        raise FunnelDataError(msg, column="as_of", value=as_of)
    g = grouping(log, by)
    zone = zone_argument(tz)
    s, e = bounds_of(start, end, zone)
    if zone is not None:  # a naive as_of in the zone, as a UTC instant
        seen = parse_instant(as_of, "as_of", zone)
        as_of = None if seen is None else np.datetime64(seen, "s")
    # Without a bound the periods are whole: no event lies beyond the log's range.
    cut = (s is not None, e is not None)
    spans = (
        period_bounds(period, *_span(log, s, e), cut=cut)
        if zone is None
        else zone_bounds(period, *_span(log, s, e), zone, cut=cut)
    )
    text = iso if zone is None else functools.partial(wall_text, zone=zone)
    results: list[ClosedFunnel | CohortFunnel] = []
    rows: list[tuple[Cell, ...]] = []
    stage_rows: list[tuple[Cell, ...]] = []
    per_period = _per_period(g, pipeline, spans, kind, as_of, mode)
    for k in range(len(g.keys)):
        head = g.cells(k) if g.by is not None else ()
        for (a, b, label), found in zip(spans, per_period, strict=True):
            r = found[k]
            results.append(r)
            rows.append((*head, label, text(a), text(b), *_summary(r)))
            step, first = step_conversion(r.funnel), conversion_from_first(r.funnel)
            for j, stage in enumerate(r.funnel.stages):
                cells = (stage.name, int(stage.count), float(step[j]), float(first[j]))
                stage_rows.append((*head, label, *cells))
    counts = ("deals", "open_deals") if kind == "cohort" else ("deals",)
    cols = (*g.columns, "period", "start", "end", *counts, "won", "lost", "win_rate")
    cols += ("won_amount", "unknown_time_deals")
    stage_cols = (*g.columns, "period", "stage", "deals", "step_conversion")
    stage_cols += ("conversion_from_first",)
    title = f"{kind} deals by {_UNIT[period]}"
    return Trend(
        kind,
        period,
        by,
        ResultTable(title, cols, tuple(rows)),
        ResultTable(f"{title}, per stage", stage_cols, tuple(stage_rows)),
        tuple(results),
        None if zone is None else str(zone),
    )


def zone_bounds(
    period: str, lo: int, hi: int, zone: dt.tzinfo, *, cut: tuple[bool, bool] = (True, True)
) -> list[tuple[int, int, str]]:
    """:func:`period_bounds` on ``zone``'s calendar: ``(start, end, label)`` in UTC seconds.

    The whole periods of the wall-clock times from ``lo``'s to ``hi``'s, each
    beginning at the first instant its first wall-clock second is shown
    (:func:`~salesfunnel._calendar.utc_of_local`); those that hold no instant of
    ``[lo, hi)`` are left out, and with ``cut`` the first and last are cut
    at ``lo`` and ``hi``.
    """
    if hi <= lo:
        return period_bounds(period, lo, hi)  # checks the period; nothing to cut
    wall = local_seconds(np.array([lo, hi - 1], dtype=np.int64), zone)
    day = 86_400  # a margin either side: a zone's clocks may show a midnight twice
    try:
        whole = period_bounds(
            period, int(wall[0]) - day, int(wall[1]) + day + 1, cut=(False, False)
        )
    except FunnelDataError:  # too many periods: said in UTC, of the span asked for
        period_bounds(period, lo, hi)
        raise
    out: list[tuple[int, int, str]] = []
    for a, b, label in whole:
        a, b = utc_of_local(a, zone), utc_of_local(b, zone)
        if b <= lo or a >= hi or a == b:
            continue
        out.append((max(a, lo) if cut[0] else a, min(b, hi) if cut[1] else b, label))
    return out


def _per_period(
    g: Grouping,
    pipeline: Pipeline | None,
    spans: list[tuple[int, int, str]],
    kind: Kind,
    as_of: Instant,
    mode: Mode,
) -> list[Sequence[ClosedFunnel | CohortFunnel]]:
    """Per period, the results of its groups: one analysis per period, or one in all.

    A deal counts in the period of its final closing (closed) or of its first
    event (cohort), and every other fact of it is read from its own events,
    all of which lie before the end of that period (closed) or are cut by
    ``as_of`` alike (cohort). So one pass over ``[first start, last end)``
    whose groups are (group, period of the deal) gives what one call per
    period gives. Undated wide-form events make the left-out counts depend on
    each bound: such a log takes one call per period.
    """
    if not spans:
        return []
    bounds = [(np.datetime64(a, "s"), np.datetime64(b, "s")) for a, b, _ in spans]
    log = g.log
    if log.has_undated or not len(log):
        if kind == "closed":
            return [_closed(log, pipeline, a, b, g.by, mode, False) for a, b in bounds]
        return [_cohort(log, pipeline, a, b, as_of, g.by, mode) for a, b in bounds]
    n = len(spans)
    deal = log.deal - log.deal_offset
    when = np.full(log.deal_bound, np.iinfo(np.int64).min if kind == "closed" else _MAX)
    (np.maximum if kind == "closed" else np.minimum).at(when, deal, log.time.view(np.int64))
    starts = np.array([a for a, _, _ in spans], dtype=np.int64)
    place = np.clip(np.searchsorted(starts, when, side="right") - 1, 0, n - 1)
    group = np.zeros(len(log), np.int64) if g.by is None else log.owner.astype(np.int64)  # type: ignore[union-attr]
    joined = dataclasses.replace(
        log, owner=group * n + place[deal], owners=tuple(map(str, range(len(g.keys) * n)))
    )
    lo, hi = bounds[0][0], bounds[-1][1]
    if kind == "closed":
        found: Sequence[Any] = _closed(joined, pipeline, lo, hi, "owner", mode, False)
    else:
        found = _cohort(joined, pipeline, lo, hi, as_of, "owner", mode)
    out: list[Sequence[ClosedFunnel | CohortFunnel]] = []
    for j, (a, b, _) in enumerate(spans):
        row: list[ClosedFunnel | CohortFunnel] = []
        for k in range(len(g.keys)):
            name = None if g.by is None else log.owners[k]
            r = found[k * n + j]
            funnel = Funnel(r.funnel.stages, name)
            row.append(dataclasses.replace(r, funnel=funnel, name=name, start=iso(a), end=iso(b)))
        out.append(row)
    return out


def _summary(r: ClosedFunnel | CohortFunnel) -> tuple[Cell, ...]:
    """deals[, open_deals], won, lost, win_rate, won_amount, unknown_time_deals."""
    won_stage = r.funnel.stages[-1]
    amount: Any = math.nan if won_stage.amount is None else won_stage.amount
    rate = r.won / (r.won + r.lost) if r.won + r.lost else math.nan
    counts: tuple[Cell, ...] = (r.deals,)
    if isinstance(r, CohortFunnel):
        counts += (r.open_deals,)
    return (*counts, r.won, r.lost, rate, amount, r.unknown_time_deals)


def breakdown_table(
    results: Mapping[Any, ClosedFunnel | CohortFunnel], columns: Sequence[str], title: str
) -> ResultTable:
    """One row per group of a ``by=`` dict: the group columns, the outcomes, each stage's count.

    Columns: ``columns`` (the names given as ``by``), ``deals``,
    [``open_deals``,] ``won``, ``lost``, ``win_rate``, ``won_amount``,
    ``unknown_time_deals``, then one column of absolute counts per funnel
    stage, named by the stage.
    """
    rows: list[tuple[Cell, ...]] = []
    stage_names: tuple[str, ...] = ()
    cohort = False
    for key, r in results.items():
        cells = key if isinstance(key, tuple) else (key,)
        stage_names = tuple(s.name for s in r.funnel.stages)
        cohort = isinstance(r, CohortFunnel)
        rows.append((*cells, *_summary(r), *(int(s.count) for s in r.funnel.stages)))
    counts = ("deals", "open_deals") if cohort else ("deals",)
    cols = (*columns, *counts, "won", "lost", "win_rate", "won_amount", "unknown_time_deals")
    return ResultTable(title, (*cols, *stage_names), tuple(rows))
