"""Deal analyses of a Spark DataFrame: repartition by deal, the partition function in
``mapInArrow``, merge the per-deal partials on the driver.

Each task returns one row holding its pickled partial (see
:mod:`salesfunnel.scale.deal_partials`); only those rows are collected.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Iterator
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
    import pyarrow
    import pyspark.sql
    from typing_extensions import Unpack

    from ..deals.columns import ColumnOptions

__all__ = ["closed_funnel", "stage_durations", "time_to_close"]

Batches = Iterator["pyarrow.RecordBatch"]
Job = Callable[[DealLog], Any]


def _task(pipeline: Pipeline, columns: dict[str, Any], job: Job) -> Callable[[Batches], Batches]:
    """The function ``mapInArrow`` runs on each partition: one row, the pickled partial."""

    def run(batches: Batches) -> Batches:
        import pyarrow as pa

        got = [b for b in batches if b.num_rows]
        part = None
        if got:
            part = job(DealLog.from_arrow(pa.Table.from_batches(got), pipeline, **columns))
        yield pa.RecordBatch.from_pydict({"partial": [pickle.dumps(part)]})

    return run


def _run(
    frame: pyspark.sql.DataFrame, pipeline: Pipeline, columns: dict[str, Any], job: Job
) -> list[Any]:
    """``job``'s partial of every partition of the frame repartitioned by deal."""
    shuffled = frame.repartition(columns.get("deal", "deal"))
    rows = shuffled.mapInArrow(_task(pipeline, columns, job), "partial binary").collect()
    return [pickle.loads(r["partial"]) for r in rows]


def _merged(frame: pyspark.sql.DataFrame, query: dp.ClosedQuery) -> ClosedDeals | None:
    job = functools.partial(dp.closed_partial, query=query)
    return dp.merge_closed(_run(frame, query.pipeline, query.columns, job))


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
    ``spark.sql.shuffle.partitions`` partitions).
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
    merged = dp.merge_times(_run(frame, pipeline, dict(columns), job))
    return dp.finish_times(merged, empty, pipeline, as_of, by, outcome)
