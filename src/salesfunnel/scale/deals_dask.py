"""Deal analyses of a Dask DataFrame: shuffle by deal, the partition function per partition, merge.

Only the per-deal partials (see :mod:`salesfunnel.scale.deal_partials`) leave
the workers: they are concatenated on the workers in a tree of merge tasks
(at most eight partials each) and the client receives one.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..deals.closed import ClosedFunnel
from ..deals.durations import Outcome, StageDurations
from ..deals.log import DealLog
from ..deals.perdeal import ClosedDeals
from ..deals.pipeline import Pipeline
from ..deals.shared import Instant, Mode
from ..deals.survival import SurvivalCurve
from . import deal_partials as dp

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas
    from typing_extensions import Unpack

    from ..deals.columns import ColumnOptions

__all__ = ["closed_funnel", "stage_durations", "time_to_close"]

Job = Callable[[DealLog], Any]
Merge = Callable[[Iterable[Any]], Any]


def _partial(frame: pandas.DataFrame, pipeline: Pipeline, columns: dict[str, Any], job: Job) -> Any:
    """The partition function on one pandas partition (runs on a worker)."""
    if not len(frame):
        return None
    return job(DealLog.from_pandas(frame, pipeline, **columns))


def _run(
    frame: dd.DataFrame, pipeline: Pipeline, columns: dict[str, Any], job: Job, merge: Merge
) -> Any:
    """``merge`` of ``job`` on every partition of the frame shuffled by deal."""
    dask: Any = importlib.import_module("dask")  # the optional extra, imported on use
    shuffled = frame.shuffle(on=columns.get("deal", "deal"))
    task = dask.delayed(_partial)
    parts = [task(p, pipeline, columns, job) for p in shuffled.to_delayed()]
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
        shuffles them by deal (``frame.shuffle(on=deal)``).
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
