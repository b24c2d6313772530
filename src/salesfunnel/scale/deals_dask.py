"""Deal analyses of a Dask DataFrame: shuffle by deal, the partition function per partition, merge.

Only the per-deal partials (see :mod:`salesfunnel.scale.deal_partials`) leave
the workers: they are concatenated on the workers in a tree of merge tasks
(at most eight partials each) and the client receives one.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..deals.active import ActiveFunnel, Forecast, Method
from ..deals.closed import ClosedFunnel
from ..deals.durations import Outcome, StageDurations
from ..deals.groups import GroupBy
from ..deals.log import DealLog
from ..deals.perdeal import ClosedDeals
from ..deals.pipeline import Pipeline
from ..deals.shared import Instant, Mode
from ..deals.stalled import StalledDeals
from ..deals.survival import SurvivalCurve
from ..deals.volume import DefaultBy, MonthlyVolume
from . import deal_partials as dp, snap_partials as sp
from .rows import dask_numbered, pandas_in_row_order

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas
    from typing_extensions import Unpack

    from ..deals.columns import ColumnOptions

__all__ = ["closed_funnel", "stage_durations", "time_to_close"]
__all__ += ["active_funnel", "forecast", "monthly_volume", "stalled_deals"]

Job = Callable[[DealLog], Any]
Merge = Callable[[Iterable[Any]], Any]


def _partial(
    frame: pandas.DataFrame, pipeline: Pipeline, columns: dict[str, Any], job: Job, numbered: bool
) -> Any:
    """The partition function on one pandas partition (runs on a worker)."""
    if not len(frame):
        return None
    if numbered:
        frame = pandas_in_row_order(frame)
    return job(DealLog.from_pandas(frame, pipeline, **columns))


def _run(
    frame: dd.DataFrame,
    pipeline: Pipeline,
    columns: dict[str, Any],
    job: Job,
    merge: Merge,
    shuffle: bool = True,
) -> Any:
    """``merge`` of ``job`` on every partition of the frame shuffled by deal (in row
    order: see :mod:`salesfunnel.scale.rows`), or as it stands without ``shuffle``."""
    dask: Any = importlib.import_module("dask")  # the optional extra, imported on use
    source: Any = frame
    if shuffle:
        source = dask_numbered(frame).shuffle(on=columns.get("deal", "deal"))
    task = dask.delayed(_partial)
    parts = [task(p, pipeline, columns, job, shuffle) for p in source.to_delayed()]
    merging = dask.delayed(merge)
    while len(parts) > 1:
        parts = [merging(parts[i : i + 8]) for i in range(0, len(parts), 8)]
    (merged,) = dask.compute(parts[0])
    return merged


def _merged(frame: dd.DataFrame, query: dp.ClosedQuery) -> ClosedDeals | None:
    job = functools.partial(dp.closed_partial, query=query)
    merged: ClosedDeals | None = _run(frame, query.pipeline, query.columns, job, dp.merge_closed)
    return merged


def closed_funnel(
    frame: dd.DataFrame,
    pipeline: Pipeline,
    *,
    start: Instant = None,
    end: Instant = None,
    by: str | None = None,
    mode: Mode = "cumulative",
    durations: bool = True,
    **columns: Unpack[ColumnOptions],
) -> ClosedFunnel | dict[Any, ClosedFunnel]:
    """:func:`salesfunnel.closed_funnel` of a Dask DataFrame, equal to the single-machine result.

    Parameters
    ----------
    frame
        The deal events, one row each, in any partitioning: the function
        shuffles them by deal (``frame.shuffle(on=deal)``), and a deal's tied
        events keep the frame's row order (see :mod:`salesfunnel.scale.rows`).
    pipeline
        The pipeline to read the stage column with (as for
        :meth:`DealLog.from_pandas <salesfunnel.DealLog.from_pandas>`).
    start, end, by, mode, durations
        As for :func:`salesfunnel.closed_funnel`; ``by`` is ``None``,
        ``"owner"`` or one kept column.
    **columns
        The column keywords of :meth:`DealLog.from_pandas
        <salesfunnel.DealLog.from_pandas>` (``deal``, ``stage``, ``time``,
        ``owner``, ``amount``, ``keep``, ``tz``, ...).

    Raises
    ------
    FunnelDataError
        What :func:`salesfunnel.closed_funnel` raises; a bad option before
        any work.
    """
    query = dp.ClosedQuery(pipeline, start, end, by, mode, durations, dict(columns))
    empty = DealLog.from_pandas(frame._meta, pipeline, **columns)
    dp.finish_closed(None, empty, query)  # a bad option raises here, before any work
    return dp.finish_closed(_merged(frame, query), empty, query)


def stage_durations(
    frame: dd.DataFrame,
    pipeline: Pipeline,
    *,
    start: Instant = None,
    end: Instant = None,
    by: str | None = None,
    **columns: Unpack[ColumnOptions],
) -> StageDurations | dict[Any, StageDurations]:
    """:func:`salesfunnel.stage_durations` of a Dask DataFrame, equal to the single-machine result.

    The arguments are those of :func:`salesfunnel.dask.closed_funnel` (the
    closed deals of the period, in cumulative mode); medians and percentiles
    come from the merged per-deal times.
    """
    query = dp.ClosedQuery(pipeline, start, end, by, "cumulative", True, dict(columns))
    empty = DealLog.from_pandas(frame._meta, pipeline, **columns)
    dp.finish_durations(None, empty, query)  # a bad option raises here, before any work
    return dp.finish_durations(_merged(frame, query), empty, query)


def time_to_close(
    frame: dd.DataFrame,
    pipeline: Pipeline,
    *,
    as_of: Instant = None,
    by: str | None = None,
    outcome: Outcome = "any",
    **columns: Unpack[ColumnOptions],
) -> SurvivalCurve | dict[Any, SurvivalCurve]:
    """:func:`salesfunnel.time_to_close` of a Dask DataFrame, equal to the single-machine result.

    The other arguments are those of :func:`salesfunnel.dask.closed_funnel`.
    Each partition reduces its deals to one row each (first event, outcome and
    its time); without ``as_of`` open deals are censored at the latest event
    of all partitions.
    """
    empty = DealLog.from_pandas(frame._meta, pipeline, **columns)
    dp.finish_times(None, empty, pipeline, as_of, by, outcome)  # bad options raise before work
    job = functools.partial(dp.times_partial, pipeline=pipeline, as_of=as_of, by=by)
    merged = _run(frame, pipeline, dict(columns), job, dp.merge_times)
    return dp.finish_times(merged, empty, pipeline, as_of, by, outcome)


def _empty(frame: dd.DataFrame, query: sp.SnapQuery) -> DealLog:
    """The log of the frame's columns without rows: what a frame without rows gives."""
    return DealLog.from_pandas(frame._meta, query.pipeline, **query.columns)


def _runner(frame: dd.DataFrame, pipeline: Pipeline, columns: dict[str, Any]) -> sp.Run:
    return functools.partial(_run, frame, pipeline, columns)


def active_funnel(
    frame: dd.DataFrame,
    pipeline: Pipeline,
    *,
    as_of: Instant = None,
    by: str | None = None,
    **columns: Unpack[ColumnOptions],
) -> ActiveFunnel | dict[Any, ActiveFunnel]:
    """:func:`salesfunnel.active_funnel` of a Dask DataFrame, equal to the single-machine result.

    The other arguments are those of :func:`salesfunnel.dask.closed_funnel`.
    Each partition reduces its deals to one row each (stage at ``as_of``,
    group, last known amount), merged in deal-id order.
    """
    query = sp.SnapQuery(pipeline, by, dict(columns), as_of=as_of)
    return sp.active_on(_runner(frame, query.pipeline, query.columns), _empty(frame, query), query)


def forecast(
    frame: dd.DataFrame,
    pipeline: Pipeline,
    *,
    as_of: Instant = None,
    by: str | None = None,
    method: Method = "historical",
    probabilities: Mapping[str, float] | None = None,
    **columns: Unpack[ColumnOptions],
) -> Forecast | dict[Any, Forecast]:
    """:func:`salesfunnel.forecast` of a Dask DataFrame, equal to the single-machine result.

    As :func:`salesfunnel.dask.active_funnel`; the historical probabilities
    come from the merged rows of the closed deals (their furthest stage).
    """
    query = sp.SnapQuery(pipeline, by, dict(columns), as_of=as_of)
    run = _runner(frame, query.pipeline, query.columns)
    return sp.forecast_on(run, _empty(frame, query), query, method, probabilities)


def monthly_volume(
    frame: dd.DataFrame,
    pipeline: Pipeline,
    *,
    start: Instant = None,
    end: Instant = None,
    by: str | DefaultBy | None = DefaultBy.BY,
    **columns: Unpack[ColumnOptions],
) -> MonthlyVolume:
    """:func:`salesfunnel.monthly_volume` of a Dask DataFrame, equal to the single-machine result.

    The other arguments are those of :func:`salesfunnel.dask.closed_funnel`;
    leaving ``by`` out on a frame with an owner column gives per-owner rows
    with the same ``DeprecationWarning``. Each partition reduces its deals to
    one row per deal won in the period, merged in deal-id order.
    """
    query = sp.SnapQuery(pipeline, None, dict(columns))
    run, options = _runner(frame, pipeline, query.columns), (start, end, by)
    return sp.volume_on(run, _empty(frame, query), pipeline, options, query.columns)


def stalled_deals(
    frame: dd.DataFrame,
    pipeline: Pipeline,
    *,
    as_of: Instant = None,
    max_days: float | Mapping[str, float] = 30.0,
    by: GroupBy = None,
    **columns: Unpack[ColumnOptions],
) -> StalledDeals:
    """:func:`salesfunnel.stalled_deals` of a Dask DataFrame, equal to the single-machine result.

    The other arguments are those of :func:`salesfunnel.dask.closed_funnel`
    (``by`` may also be a list of kept columns, as on one machine). Without
    ``as_of``, a first pass over the partitions (no shuffle) finds the latest
    dated event. Each partition returns its stalled deals' rows.
    """
    query = sp.SnapQuery(pipeline, None, dict(columns))
    run, options = _runner(frame, pipeline, query.columns), (as_of, max_days, by)
    return sp.stalled_on(run, _empty(frame, query), pipeline, options)
