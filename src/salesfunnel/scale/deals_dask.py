"""Deal analyses of a Dask DataFrame: shuffle by deal, the partition function per partition, merge.

Only the per-deal partials (see :mod:`salesfunnel.scale.deal_partials`) leave
the workers: they are concatenated on the workers in a tree of merge tasks
(at most eight partials each) and the client receives one.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..deals.closed import ClosedFunnel
from ..deals.durations import StageDurations
from ..deals.log import DealLog
from ..deals.perdeal import ClosedDeals
from ..deals.pipeline import Pipeline
from ..deals.shared import Instant, Mode
from . import deal_partials as dp

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas
    from typing_extensions import Unpack

    from ..deals.columns import ColumnOptions

__all__ = ["closed_funnel", "stage_durations"]


def _partial(frame: pandas.DataFrame, query: dp.ClosedQuery) -> ClosedDeals | None:
    """The partition function on one pandas partition (runs on a worker)."""
    if not len(frame):
        return None
    return dp.closed_partial(DealLog.from_pandas(frame, query.pipeline, **query.columns), query)


def _merged(frame: dd.DataFrame, query: dp.ClosedQuery) -> ClosedDeals | None:
    dask: Any = importlib.import_module("dask")  # the optional extra, imported on use
    shuffled = frame.shuffle(on=query.deal_column)
    task = dask.delayed(_partial)
    parts = [task(p, query) for p in shuffled.to_delayed()]
    merge = dask.delayed(dp.merge_closed)
    while len(parts) > 1:
        parts = [merge(parts[i : i + 8]) for i in range(0, len(parts), 8)]
    (merged,) = dask.compute(parts[0])
    return merged  # type: ignore[no-any-return]


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
