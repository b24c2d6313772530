"""Per-unit results of an event funnel: the hook that cluster adapters merge from.

:func:`~salesfunnel.event_funnel` reduces the engine's per-unit results (the
furthest step, the chain's times, still open, the breakdown value) to counts,
medians and ids. :func:`unit_steps` stops one step earlier and returns them,
computed by the same code, so that :mod:`salesfunnel.scale` can run it on each
partition of a cluster (every unit's events in one partition) and merge the
exact partials (see :mod:`salesfunnel.scale.partials`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..deals.shared import Instant, parse_instant
from ..errors import FunnelDataError
from .funnel import (
    NO_VALUE_GROUP,
    _check_options,
    _exclusions,
    _groups,
    _open,
    _Request,
    _run,
    _unique,
    _value_text,
)
from .log import EventLog
from .steps import Step, step_label, step_mask

__all__ = ["FunnelOptions", "UnitSteps", "unit_steps"]


@dataclass(frozen=True, slots=True)
class UnitSteps:
    """Per unit (in key order): id, furthest step (-1: excluded), chain times, open, group."""

    ids: np.ndarray
    reached: npt.NDArray[np.int64]
    times: npt.NDArray[np.int64]  # (units, steps) seconds, -1 unset
    is_open: npt.NDArray[np.bool_]
    group: np.ndarray | None  # breakdown value per unit (first/last touch), else None


@dataclass(frozen=True, slots=True)
class FunnelOptions:
    """The arguments of :func:`~salesfunnel.event_funnel` but the log, as one value."""

    steps: Sequence[Step]
    window: dt.timedelta
    order: str = "ordered"
    exclusions: Sequence[tuple[Step, int, int]] = ()
    breakdown: str | None = None
    attribution: str = "first_touch"
    start: Instant = None
    end: Instant = None


def unit_steps(log: EventLog, opts: FunnelOptions) -> tuple[list[str], dict[str | None, UnitSteps]]:
    """The step labels, and the per-unit results :func:`event_funnel` reduces.

    The key ``None`` holds every unit (with its breakdown value under
    first/last touch); with ``attribution='all_events'`` each breakdown value
    is a key of its own, computed on that value's events only. Raises what
    :func:`event_funnel` raises for the same arguments.
    """
    steps, breakdown = opts.steps, opts.breakdown
    _check_options(log, steps, opts.window, opts.order, breakdown, opts.attribution)
    masks = np.array([step_mask(log, s, f"step {i + 1}") for i, s in enumerate(steps)])
    masks = masks.reshape(len(steps), len(log))
    t0, t1 = parse_instant(opts.start, "start"), parse_instant(opts.end, "end")
    if t0 is not None and t1 is not None and t1 <= t0:
        msg = f"end must be after start (got start={opts.start!r}, end={opts.end!r})"
        raise FunnelDataError(msg, column="end", value=opts.end)
    excl = _exclusions(log, opts.exclusions, len(steps), opts.order)
    seconds = opts.window.total_seconds()
    req = _Request(len(steps), seconds, opts.order, excl, t0, t1)  # type: ignore[arg-type]

    def one(only: npt.NDArray[np.bool_], touch: bool) -> UnitSteps:
        units, rows, st = _run(log, masks, req, only)
        group = None
        if touch and breakdown is not None:
            group = _groups(log, units, rows, st, breakdown, opts.attribution)
        opened = _open(log, units, rows, st, req)
        return UnitSteps(log.ids_of(units.keys), units.reached, units.times, opened, group)

    out: dict[str | None, UnitSteps] = {}
    if breakdown is not None and opts.attribution == "all_events":
        col = log.properties[breakdown]
        values = np.array([_value_text(v) for v in col.tolist()], dtype=object)
        values[np.isnan(col) if col.dtype.kind == "f" else col == ""] = NO_VALUE_GROUP
        for g in sorted(set(values.tolist())):
            out[g] = one(values == g, touch=False)
    out[None] = one(np.ones(len(log), dtype=bool), touch=True)
    return _unique([step_label(s) for s in steps]), out
