"""Event funnels of a Spark DataFrame: repartition by unit, the partition function in
``mapInArrow``, merge the partials on the driver.

Each task returns one row holding its pickled partial (see
:mod:`salesfunnel.scale.partials`); only those rows are collected. Spark's UI
and console progress bar show the job as usual.
"""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .._format import near_name
from ..errors import FunnelDataError
from ..events.funnel import EventFunnel
from ..events.log import EventLog
from ..events.steps import Step
from ..events.units import FunnelOptions
from . import partials as pt
from .partials import ScaleOptions
from .rows import arrow_in_row_order, spark_numbered

if TYPE_CHECKING:
    import pyarrow
    import pyspark.sql
    from typing_extensions import Unpack

__all__ = ["event_funnel"]

Batches = Iterator["pyarrow.RecordBatch"]


def _numeric(frame: Any, columns: dict[str, Any]) -> dict[str, bool]:
    """Property name -> numeric, read from the Spark schema."""
    from pyspark.sql.types import NumericType

    types = {f.name: f.dataType for f in frame.schema.fields}
    out = {}
    for c in columns.get("properties", ()):
        if c not in types:
            msg = f"no column {c!r} in the DataFrame (columns are {list(types)!r})"
            msg += near_name(c, types)
            raise FunnelDataError(msg, column=c)
        out[c] = isinstance(types[c], NumericType)
    return out


def _task(
    opts: FunnelOptions, unit_ids: bool, columns: dict[str, Any]
) -> Callable[[Batches], Batches]:
    """The function ``mapInArrow`` runs on each partition: one row, the pickled partial."""

    def run(batches: Batches) -> Batches:
        import pyarrow as pa

        got = [b for b in batches if b.num_rows]
        part = None
        if got:
            table = arrow_in_row_order(pa.Table.from_batches(got))
            log = EventLog.from_arrow(table, **columns)
            part = pt.event_partial(log, opts, unit_ids)
        yield pa.RecordBatch.from_pydict({"partial": [pickle.dumps(part)]})

    return run


def event_funnel(
    frame: pyspark.sql.DataFrame,
    steps: Sequence[Step],
    *,
    window: dt.timedelta,
    unit_ids: bool = False,
    **options: Unpack[ScaleOptions],
) -> EventFunnel:
    """:func:`salesfunnel.event_funnel` of a Spark DataFrame, equal to the single-machine result.

    The arguments are those of :func:`salesfunnel.dask.event_funnel`; the
    columns are read as :meth:`EventLog.from_arrow <salesfunnel.EventLog.from_arrow>`
    reads a table (Spark's ``TIMESTAMP`` is zone-aware and read as UTC;
    ``TIMESTAMP_NTZ`` is read as it stands). The events are repartitioned by
    unit (``frame.repartition(...)`` on the entity or the ``unit=`` columns,
    into ``spark.sql.shuffle.partitions`` partitions).
    """
    opts, columns = pt.split_options(steps, window, options)
    props = _numeric(frame, columns)
    entity = columns.get("entity", "entity")
    pt.check_options(opts, props, entity)
    shuffled = spark_numbered(frame).repartition(*pt.unit_columns(opts, entity))
    rows = shuffled.mapInArrow(_task(opts, unit_ids, columns), "partial binary").collect()
    merged = pt.merge_events(pickle.loads(r["partial"]) for r in rows)
    return pt.finish_events(merged, opts, unit_ids, props, entity)
