"""The partition functions and merges of the snapshot analyses and the monthly volume.

As for :mod:`salesfunnel.scale.deal_partials`, each partition holds every
event of its deals and reduces them with the single-machine code:

* :func:`~salesfunnel.active_funnel` and :func:`~salesfunnel.forecast`: one
  row per deal started at ``as_of`` (:func:`salesfunnel.deals.snapdeals.snap_deals`:
  id, group, stage code, last known amount, furthest open stage). The merge
  restores deal-id order, so stage amounts, the forecast's probabilities and
  sums are computed over the same values in the same order as on one machine.
* :func:`~salesfunnel.monthly_volume`: one row per deal won in the period
  (:func:`salesfunnel.deals.snapdeals.won_deals`: id, group, month, amount).
* :func:`~salesfunnel.stalled_deals`: the single-machine function itself on
  the partition, at one ``as_of`` for all (without one, the latest dated event
  of the whole frame, found in a first pass that reads each partition once and
  returns one number); its rows are per deal, so the merge concatenates them
  and sorts them as one machine does (longest idle first, then by deal id).

A partition with no events returns ``None`` and merges as nothing.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._table import ResultTable
from .._time import zone_argument
from ..deals.active import ActiveFunnel, Forecast, Method, active_funnels, forecasts
from ..deals.groups import GroupBy, Grouping, grouping
from ..deals.log import DealLog
from ..deals.pipeline import Pipeline
from ..deals.shared import Instant, latest_time
from ..deals.snapdeals import SnapDeals, WonDeals, concat_snaps, concat_won, snap_deals, won_deals
from ..deals.stalled import StalledDeals, stalled_deals
from ..deals.volume import DefaultBy, MonthlyVolume, monthly_volume, volume_of
from ..errors import FunnelDataError

__all__ = [
    "Run",
    "SnapQuery",
    "StalledPartial",
    "active_on",
    "as_of_of",
    "finish_active",
    "finish_forecast",
    "finish_stalled",
    "finish_volume",
    "forecast_on",
    "latest_partial",
    "merge_latest",
    "merge_snaps",
    "merge_stalled",
    "merge_won",
    "snap_partial",
    "stalled_on",
    "stalled_partial",
    "volume_by",
    "volume_on",
    "won_partial",
]


def _one_column(by: object) -> None:
    if by is not None and not isinstance(by, str):
        msg = f"on a cluster, by must be None or one column name (got {by!r})"
        raise FunnelDataError(msg, column="by", value=by)


@dataclass(frozen=True, slots=True)
class SnapQuery:
    """An analysis call to run on partitions: its pipeline, options and columns.

    ``as_of`` is the snapshot time (active funnel, forecast, stalled deals);
    ``start`` and ``end`` the period (monthly volume).
    """

    pipeline: Pipeline
    by: str | None
    columns: dict[str, Any]
    as_of: Instant = None
    start: Instant = None
    end: Instant = None

    def __post_init__(self) -> None:
        _one_column(self.by)


def snap_partial(log: DealLog, query: SnapQuery) -> SnapDeals | None:
    """The deals of one partition in their snapshot at ``as_of``; ``None`` if empty."""
    return _snap(log, query) if len(log) else None


def _snap(log: DealLog, query: SnapQuery) -> SnapDeals:
    g = grouping(log, query.by)
    return snap_deals(g.log, query.pipeline, query.as_of, g.by, lazy_ids=False)  # ids travel


def merge_snaps(parts: Iterable[SnapDeals | None]) -> SnapDeals | None:
    """The snapshot deals of the union of partitions (``None`` when all were empty)."""
    got = [p for p in parts if p is not None]
    return concat_snaps(got) if got else None


def _results(results: list[Any], names: list[str | None], by: str | None) -> Any:
    return results[0] if by is None else dict(zip(names, results, strict=True))


def finish_active(
    merged: SnapDeals | None, empty: DealLog, query: SnapQuery
) -> ActiveFunnel | dict[Any, ActiveFunnel]:
    """The result :func:`~salesfunnel.active_funnel` gives on the whole log.

    ``empty`` is a log with the columns and no events: its result stands for a
    DataFrame without rows (and it checks the options before any work).
    """
    deals = _snap(empty, query) if merged is None else merged
    return _results(active_funnels(deals), deals.names, query.by)  # type: ignore[no-any-return]


def finish_forecast(
    merged: SnapDeals | None,
    empty: DealLog,
    query: SnapQuery,
    method: Method,
    probabilities: Mapping[str, float] | None,
) -> Forecast | dict[Any, Forecast]:
    """The result :func:`~salesfunnel.forecast` gives on the whole log."""
    deals = _snap(empty, query) if merged is None else merged
    results = forecasts(deals, method, probabilities)
    return _results(results, deals.names, query.by)  # type: ignore[no-any-return]


def volume_by(
    empty: DealLog, by: GroupBy | DefaultBy, start: Instant, end: Instant, tz: object = None
) -> GroupBy:
    """``by`` as :func:`~salesfunnel.monthly_volume` resolves it (checking the options).

    Left out on a frame with an owner column it is ``"owner"``, with the
    single-machine function's ``DeprecationWarning``, raised at the user's
    call of the adapter (through :func:`volume_on`).
    """
    if not isinstance(by, DefaultBy):
        _one_column(by)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kw = {} if isinstance(by, DefaultBy) else {"by": by}
        resolved = monthly_volume(empty, None, start=start, end=end, tz=tz, **kw).by
    for w in caught:  # at the user's call: past volume_by, volume_on and the adapter
        warnings.warn(w.message, w.category, stacklevel=4)
    _one_column(resolved)
    return resolved


def won_partial(log: DealLog, query: SnapQuery) -> WonDeals | None:
    """The deals of one partition won in the period; ``None`` if empty."""
    return _won(log, query) if len(log) else None


def _won(log: DealLog, query: SnapQuery) -> WonDeals:
    """The won deals of ``log``; the frame's zone (``tz``, the loader's) is also the
    calendar of the months and the zone of a naive ``start``/``end``, as ``--tz`` is."""
    g = grouping(log, query.by)
    zone = zone_argument(query.columns.get("tz"))
    return won_deals(g.log, query.pipeline, query.start, query.end, g.by, False, zone)


def merge_won(parts: Iterable[WonDeals | None]) -> WonDeals | None:
    """The won deals of the union of partitions (``None`` when all were empty)."""
    got = [p for p in parts if p is not None]
    return concat_won(got) if got else None


def finish_volume(merged: WonDeals | None, empty: DealLog, query: SnapQuery) -> MonthlyVolume:
    """The result :func:`~salesfunnel.monthly_volume` gives on the whole log (``by`` resolved)."""
    g = grouping(empty, query.by)
    won = _won(empty, query) if merged is None else merged
    groups = Grouping(g.log, g.by, g.columns, list(won.names))
    return volume_of(groups, won, query.by)


def latest_partial(log: DealLog) -> int | None:
    """The latest dated event of one partition (seconds), ``None`` without one."""
    return latest_time(log)


def merge_latest(parts: Iterable[int | None]) -> int | None:
    """The latest dated event of the union of partitions (``None`` without one)."""
    got = [t for t in parts if t is not None]
    return max(got) if got else None


def as_of_of(latest: int | None) -> np.datetime64 | None:
    """The ``as_of`` :func:`~salesfunnel.stalled_deals` takes by default: the latest dated event."""
    return None if latest is None else np.datetime64(latest, "s")


StalledPartial = tuple[list[tuple[Any, ...]], int]
"""A partition's stalled rows and its deals of unknown time."""


def stalled_partial(
    log: DealLog,
    pipeline: Pipeline,
    as_of: Instant,
    max_days: float | Mapping[str, float],
    by: GroupBy,
) -> StalledPartial | None:
    """The stalled deals of one partition at ``as_of``; ``None`` if empty."""
    if not len(log):
        return None
    got = stalled_deals(log, pipeline, as_of=as_of, max_days=max_days, by=by)
    return list(got.table.rows), got.unknown_time_deals


def merge_stalled(parts: Iterable[StalledPartial | None]) -> StalledPartial:
    """The rows and unknown count of the union of partitions, in no particular order."""
    rows: list[tuple[Any, ...]] = []
    unknown = 0
    for p in parts:
        if p is not None:
            rows += p[0]
            unknown += p[1]
    return rows, unknown


def finish_stalled(merged: StalledPartial | None, probe: StalledDeals) -> StalledDeals:
    """The result :func:`~salesfunnel.stalled_deals` gives on the whole log.

    ``probe`` is that function's result on the empty log at the same options
    and ``as_of``: its columns and snapshot time. Rows are sorted as on one
    machine: longest idle first, then by deal id (unique, so the order is total).
    """
    rows, unknown = merge_stalled([merged])
    rows = sorted(rows, key=lambda r: (-r[-1], str(r[0])))
    table = ResultTable(probe.table.name, probe.table.columns, tuple(rows))
    return StalledDeals(probe.as_of, table, unknown)


# -- the analyses, given a way to run a job on the partitions --------------------------
Run = Callable[..., Any]
"""``run(job, merge, shuffle=True)``: ``merge`` of ``job(log)`` on every partition of
the frame shuffled by deal (as it stands without ``shuffle``): what an adapter provides."""


def active_on(run: Run, empty: DealLog, query: SnapQuery) -> ActiveFunnel | dict[Any, ActiveFunnel]:
    """:func:`~salesfunnel.active_funnel` through ``run`` (bad options raise before any work)."""
    finish_active(None, empty, query)
    merged = run(functools.partial(snap_partial, query=query), merge_snaps)
    return finish_active(merged, empty, query)


def forecast_on(
    run: Run,
    empty: DealLog,
    query: SnapQuery,
    method: Method,
    probabilities: Mapping[str, float] | None,
) -> Forecast | dict[Any, Forecast]:
    """:func:`~salesfunnel.forecast` through ``run`` (bad options raise before any work)."""
    finish_forecast(None, empty, query, method, probabilities)
    merged = run(functools.partial(snap_partial, query=query), merge_snaps)
    return finish_forecast(merged, empty, query, method, probabilities)


def volume_on(
    run: Run,
    empty: DealLog,
    pipeline: Pipeline,
    options: tuple[Instant, Instant, GroupBy | DefaultBy],
    columns: dict[str, Any],
) -> MonthlyVolume:
    """:func:`~salesfunnel.monthly_volume` through ``run``; ``options`` are start, end and by."""
    start, end, by = options
    resolved: Any = volume_by(empty, by, start, end, columns.get("tz"))  # None or a column
    query = SnapQuery(pipeline, resolved, columns, start=start, end=end)
    merged = run(functools.partial(won_partial, query=query), merge_won)
    return finish_volume(merged, empty, query)


StalledOptions = tuple[Instant, "float | Mapping[str, float]", GroupBy]
""":func:`~salesfunnel.stalled_deals`' ``as_of``, ``max_days`` and ``by``."""


def stalled_on(
    run: Run, empty: DealLog, pipeline: Pipeline, options: StalledOptions
) -> StalledDeals:
    """:func:`~salesfunnel.stalled_deals` through ``run``; without ``as_of`` a first
    pass over the partitions as they stand finds the latest dated event."""
    as_of, max_days, by = options
    stalled_deals(empty, pipeline, as_of=as_of, max_days=max_days, by=by)  # bad options
    if as_of is None:
        as_of = as_of_of(run(latest_partial, merge_latest, shuffle=False))
    probe = stalled_deals(empty, pipeline, as_of=as_of, max_days=max_days, by=by)
    job = functools.partial(
        stalled_partial, pipeline=pipeline, as_of=as_of, max_days=max_days, by=by
    )
    return finish_stalled(run(job, merge_stalled), probe)
