"""Deal analyses of a Spark DataFrame: repartition by deal, the partition function in
``mapInArrow``, merge the per-deal partials on the driver.

Each task returns one row holding its pickled partial (see
:mod:`salesfunnel.scale.deal_partials`); only those rows are collected.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Iterator, Mapping
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
from .rows import arrow_in_row_order, spark_numbered

if TYPE_CHECKING:
    import pyarrow
    import pyspark.sql
    from typing_extensions import Unpack

    from ..deals.columns import ColumnOptions

__all__ = ["closed_funnel", "stage_durations", "time_to_close"]
__all__ += ["active_funnel", "forecast", "monthly_volume", "stalled_deals"]

Batches = Iterator["pyarrow.RecordBatch"]
Job = Callable[[DealLog], Any]


def _task(
    pipeline: Pipeline, columns: dict[str, Any], job: Job, numbered: bool
) -> Callable[[Batches], Batches]:
    """The function ``mapInArrow`` runs on each partition: one row, the pickled partial."""

    def run(batches: Batches) -> Batches:
        import pyarrow as pa

        got = [b for b in batches if b.num_rows]
        part = None
        if got:
            table = pa.Table.from_batches(got)
            if numbered:
                table = arrow_in_row_order(table)
            part = job(DealLog.from_arrow(table, pipeline, **columns))
        yield pa.RecordBatch.from_pydict({"partial": [pickle.dumps(part)]})

    return run


def _run(
    frame: pyspark.sql.DataFrame,
    pipeline: Pipeline,
    columns: dict[str, Any],
    job: Job,
    merge: Callable[[list[Any]], Any],
    shuffle: bool = True,
) -> Any:
    """``merge`` of ``job``'s partials of every partition of the frame repartitioned by deal (in row
    order: see :mod:`salesfunnel.scale.rows`), or as it stands without ``shuffle``."""
    if shuffle:
        frame = spark_numbered(frame).repartition(columns.get("deal", "deal"))
    rows = frame.mapInArrow(_task(pipeline, columns, job, shuffle), "partial binary").collect()
    return merge([pickle.loads(r["partial"]) for r in rows])


def _merged(frame: pyspark.sql.DataFrame, query: dp.ClosedQuery) -> ClosedDeals | None:
    job = functools.partial(dp.closed_partial, query=query)
    merged: ClosedDeals | None = _run(frame, query.pipeline, query.columns, job, dp.merge_closed)
    return merged


def closed_funnel(
    frame: pyspark.sql.DataFrame,
    pipeline: Pipeline,
    *,
    start: Instant = None,
    end: Instant = None,
    by: str | None = None,
    mode: Mode = "cumulative",
    durations: bool = True,
    **columns: Unpack[ColumnOptions],
) -> ClosedFunnel | dict[Any, ClosedFunnel]:
    """:func:`salesfunnel.closed_funnel` of a Spark DataFrame, equal to the single-machine result.

    The arguments are those of :func:`salesfunnel.scale.deals_dask.closed_funnel`;
    the columns are read as :meth:`DealLog.from_arrow <salesfunnel.DealLog.from_arrow>`
    reads a table (Spark's ``TIMESTAMP`` is zone-aware and read as UTC). The
    events are repartitioned by deal (``frame.repartition(deal)``,
    ``spark.sql.shuffle.partitions`` partitions); a deal's tied events keep the
    frame's row order (``monotonically_increasing_id()``, see
    :mod:`salesfunnel.scale.rows`).
    """
    query = dp.ClosedQuery(pipeline, start, end, by, mode, durations, dict(columns))
    empty = DealLog.from_arrow(frame.limit(0).toArrow(), pipeline, **columns)
    dp.finish_closed(None, empty, query)  # a bad option raises here, before any work
    return dp.finish_closed(_merged(frame, query), empty, query)


def stage_durations(
    frame: pyspark.sql.DataFrame,
    pipeline: Pipeline,
    *,
    start: Instant = None,
    end: Instant = None,
    by: str | None = None,
    **columns: Unpack[ColumnOptions],
) -> StageDurations | dict[Any, StageDurations]:
    """:func:`salesfunnel.stage_durations` of a Spark DataFrame, equal to the single-machine result.

    The arguments are those of :func:`salesfunnel.spark.closed_funnel` (the
    closed deals of the period, in cumulative mode); medians and percentiles
    come from the merged per-deal times.
    """
    query = dp.ClosedQuery(pipeline, start, end, by, "cumulative", True, dict(columns))
    empty = DealLog.from_arrow(frame.limit(0).toArrow(), pipeline, **columns)
    dp.finish_durations(None, empty, query)  # a bad option raises here, before any work
    return dp.finish_durations(_merged(frame, query), empty, query)


def time_to_close(
    frame: pyspark.sql.DataFrame,
    pipeline: Pipeline,
    *,
    as_of: Instant = None,
    by: str | None = None,
    outcome: Outcome = "any",
    **columns: Unpack[ColumnOptions],
) -> SurvivalCurve | dict[Any, SurvivalCurve]:
    """:func:`salesfunnel.time_to_close` of a Spark DataFrame, equal to the single-machine result.

    As :func:`salesfunnel.dask.time_to_close`, on Spark.
    """
    empty = DealLog.from_arrow(frame.limit(0).toArrow(), pipeline, **columns)
    dp.finish_times(None, empty, pipeline, as_of, by, outcome)  # bad options raise before work
    job = functools.partial(dp.times_partial, pipeline=pipeline, as_of=as_of, by=by)
    merged = _run(frame, pipeline, dict(columns), job, dp.merge_times)
    return dp.finish_times(merged, empty, pipeline, as_of, by, outcome)


def _empty(frame: pyspark.sql.DataFrame, query: sp.SnapQuery) -> DealLog:
    """The log of the frame's columns without rows: what a frame without rows gives."""
    return DealLog.from_arrow(frame.limit(0).toArrow(), query.pipeline, **query.columns)


def _runner(frame: pyspark.sql.DataFrame, pipeline: Pipeline, columns: dict[str, Any]) -> sp.Run:
    return functools.partial(_run, frame, pipeline, columns)


def active_funnel(
    frame: pyspark.sql.DataFrame,
    pipeline: Pipeline,
    *,
    as_of: Instant = None,
    by: str | None = None,
    **columns: Unpack[ColumnOptions],
) -> ActiveFunnel | dict[Any, ActiveFunnel]:
    """:func:`salesfunnel.active_funnel` of a Spark DataFrame, equal to the single-machine result.

    As :func:`salesfunnel.dask.active_funnel`, on Spark.
    """
    query = sp.SnapQuery(pipeline, by, dict(columns), as_of=as_of)
    return sp.active_on(_runner(frame, query.pipeline, query.columns), _empty(frame, query), query)


def forecast(
    frame: pyspark.sql.DataFrame,
    pipeline: Pipeline,
    *,
    as_of: Instant = None,
    by: str | None = None,
    method: Method = "historical",
    probabilities: Mapping[str, float] | None = None,
    **columns: Unpack[ColumnOptions],
) -> Forecast | dict[Any, Forecast]:
    """:func:`salesfunnel.forecast` of a Spark DataFrame, equal to the single-machine result.

    As :func:`salesfunnel.dask.forecast`, on Spark.
    """
    query = sp.SnapQuery(pipeline, by, dict(columns), as_of=as_of)
    run = _runner(frame, query.pipeline, query.columns)
    return sp.forecast_on(run, _empty(frame, query), query, method, probabilities)


def monthly_volume(
    frame: pyspark.sql.DataFrame,
    pipeline: Pipeline,
    *,
    start: Instant = None,
    end: Instant = None,
    by: str | DefaultBy | None = DefaultBy.BY,
    **columns: Unpack[ColumnOptions],
) -> MonthlyVolume:
    """:func:`salesfunnel.monthly_volume` of a Spark DataFrame, equal to the single-machine result.

    As :func:`salesfunnel.dask.monthly_volume`, on Spark.
    """
    query = sp.SnapQuery(pipeline, None, dict(columns))
    run, options = _runner(frame, pipeline, query.columns), (start, end, by)
    return sp.volume_on(run, _empty(frame, query), pipeline, options, query.columns)


def stalled_deals(
    frame: pyspark.sql.DataFrame,
    pipeline: Pipeline,
    *,
    as_of: Instant = None,
    max_days: float | Mapping[str, float] = 30.0,
    by: GroupBy = None,
    **columns: Unpack[ColumnOptions],
) -> StalledDeals:
    """:func:`salesfunnel.stalled_deals` of a Spark DataFrame, equal to the single-machine result.

    As :func:`salesfunnel.dask.stalled_deals`, on Spark (the first pass, without
    ``as_of``, runs ``mapInArrow`` on the frame as it stands).
    """
    query = sp.SnapQuery(pipeline, None, dict(columns))
    run, options = _runner(frame, pipeline, query.columns), (as_of, max_days, by)
    return sp.stalled_on(run, _empty(frame, query), pipeline, options)
