"""Event funnels of a Dask DataFrame: shuffle by unit, the partition function per partition, merge.

Nothing but the partials (see :mod:`salesfunnel.scale.partials`) reaches the
client: they are merged on the workers, in a tree of ``merge_events`` tasks
(at most eight partials each), and the client receives one. The dashboard and
``dask.diagnostics.ProgressBar`` show the tasks as usual.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._format import near_name
from ..errors import FunnelDataError
from ..events.funnel import EventFunnel
from ..events.log import EventLog
from ..events.steps import Step
from ..events.units import FunnelOptions
from . import partials as pt
from .partials import ScaleOptions
from .rows import dask_numbered, pandas_in_row_order

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas
    from typing_extensions import Unpack

__all__ = ["event_funnel"]


def _partial(
    frame: pandas.DataFrame, opts: FunnelOptions, unit_ids: bool, columns: dict[str, Any]
) -> pt.EventPartial | None:
    """The partition function on one pandas partition (runs on a worker)."""
    if not len(frame):
        return None
    frame = pandas_in_row_order(frame)
    return pt.event_partial(EventLog.from_pandas(frame, **columns), opts, unit_ids)


def numeric_properties(frame: Any, columns: dict[str, Any]) -> dict[str, bool]:
    """Property name -> numeric, as :class:`~salesfunnel.EventLog` will read each partition."""
    out = {}
    for c in columns.get("properties", ()):
        if c not in frame.columns:
            msg = f"no column {c!r} in the DataFrame (columns are {list(frame.columns)!r})"
            msg += near_name(c, map(str, frame.columns))
            raise FunnelDataError(msg, column=c)
        out[c] = frame.dtypes[c].kind in "iuf"
    return out


def event_funnel(
    frame: dd.DataFrame,
    steps: Sequence[Step],
    *,
    window: dt.timedelta,
    unit_ids: bool = False,
    **options: Unpack[ScaleOptions],
) -> EventFunnel:
    """:func:`salesfunnel.event_funnel` of a Dask DataFrame, equal to the single-machine result.

    Parameters
    ----------
    frame
        The events, one row each, in any partitioning: the function shuffles
        them by unit (``frame.shuffle(on=...)`` on the entity column, or on the
        ``unit=`` columns), keeping the frame's row order for tied events
        (see :mod:`salesfunnel.scale.rows`).
    steps, window
        As for :func:`salesfunnel.event_funnel`.
    unit_ids
        Bring the ids of the units behind each step to the client (one id per
        unit and step: the memory of the result). Without it each stage's
        ``data`` is ``None`` and the result is otherwise the same.
    **options
        Every option of :func:`salesfunnel.event_funnel` (``order``,
        ``modes``, ``exclusions``, ``unit``, ``breakdown``, ``attribution``,
        ``start``, ``end``, ``period``), and the column
        keywords of :meth:`EventLog.from_pandas <salesfunnel.EventLog.from_pandas>`
        (``entity``, ``event``, ``time``, ``properties``, ``tz``,
        ``date_format``, ``drop_invalid``). ``tz`` serves both, as the
        command line's ``--tz`` does: the zone of naive times, and the
        calendar of ``period`` and zone of a naive ``start``/``end``.

    Raises
    ------
    FunnelDataError
        What :func:`salesfunnel.event_funnel` raises, before any work for a
        bad option.
    """
    dask: Any = importlib.import_module("dask")  # the optional extra, imported on use
    opts, columns = pt.split_options(steps, window, options)
    props = numeric_properties(frame, columns)
    entity = columns.get("entity", "entity")
    pt.check_options(opts, props, entity)
    shuffled = dask_numbered(frame).shuffle(on=pt.unit_columns(opts, entity))
    task = dask.delayed(_partial)
    parts = [task(p, opts, unit_ids, columns) for p in shuffled.to_delayed()]
    merge = dask.delayed(pt.merge_events)
    while len(parts) > 1:
        parts = [merge(parts[i : i + 8]) for i in range(0, len(parts), 8)]
    (merged,) = dask.compute(parts[0])
    return pt.finish_events(merged, opts, unit_ids, props, entity)
