"""Row order across the shuffle: number the rows before it, restore their order after it.

On one machine, tied events (one unit at one second matching overlapping
steps; a deal's events at one time and stage with different amounts or
breakdown values) are taken in the order of the rows. A shuffle by unit keeps
every unit's events together but not their order: Spark's ``repartition``
interleaves the blocks of the input partitions as they arrive, and Dask's
shuffle does not promise an order. So each adapter numbers the rows before the
shuffle with one int64 column, :data:`ROW`, increasing in the frame's row
order, and each partition sorts its rows by it and drops it before building
the log.

The row order of a frame is its partition order, then the order of the rows
inside each partition (what ``frame.compute()`` or ``toPandas()`` gives):

* Dask: ``partition number * 2**40 + position in the partition`` (no pass
  over the data to count partition lengths; up to 2**40 rows per partition
  and 2**23 partitions).
* Spark: ``monotonically_increasing_id()``, which is ``partition id * 2**33 +
  position in the partition`` of the frame as the call receives it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import FunnelDataError

if TYPE_CHECKING:
    import pandas
    import pyarrow

__all__ = ["ROW", "arrow_in_row_order", "dask_numbered", "pandas_in_row_order", "spark_numbered"]

ROW = "__salesfunnel_row__"
"""The row-number column the adapters add before the shuffle and drop after it."""

_SHIFT = 40


def _check_free(columns: list[str]) -> None:
    if ROW in columns:
        msg = f"the DataFrame has a column {ROW!r}, the name the cluster adapters number rows with"
        raise FunnelDataError(msg, column=ROW)


def _number(part: pandas.DataFrame, partition_info: dict[str, Any] | None = None) -> Any:
    """One partition with its row numbers (runs on a worker)."""
    base = 0 if partition_info is None else int(partition_info["number"]) << _SHIFT
    return part.assign(**{ROW: np.arange(base, base + len(part), dtype=np.int64)})


def dask_numbered(frame: Any) -> Any:
    """The Dask DataFrame with the :data:`ROW` column (lazy: no pass over the data)."""
    _check_free(list(frame.columns))
    meta = frame._meta.assign(**{ROW: np.zeros(0, dtype=np.int64)})
    return frame.map_partitions(_number, meta=meta, enforce_metadata=False)


def pandas_in_row_order(part: pandas.DataFrame) -> pandas.DataFrame:
    """A shuffled partition back in row order, without the :data:`ROW` column."""
    rows = part[ROW].to_numpy()
    if rows.size > 1 and not bool(np.all(rows[1:] > rows[:-1])):
        part = part.iloc[np.argsort(rows, kind="stable")]
    return part.drop(columns=ROW)


def spark_numbered(frame: Any) -> Any:
    """The Spark DataFrame with the :data:`ROW` column."""
    from pyspark.sql import functions

    _check_free(list(frame.columns))
    return frame.withColumn(ROW, functions.monotonically_increasing_id())


def arrow_in_row_order(table: pyarrow.Table) -> pyarrow.Table:
    """A shuffled partition (an Arrow table) back in row order, without the :data:`ROW` column."""
    rows = table.column(ROW).to_numpy()
    if rows.size > 1 and not bool(np.all(rows[1:] > rows[:-1])):
        table = table.take(np.argsort(rows, kind="stable"))
    return table.drop_columns([ROW])
