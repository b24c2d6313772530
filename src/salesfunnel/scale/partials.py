"""The partition function and the mergeable partial results shared by the Dask and Spark adapters.

Each partition holds every event of its units (the adapters shuffle by unit),
so the single-machine engine (:func:`salesfunnel.events.units.unit_steps`, the
code behind :func:`~salesfunnel.event_funnel`) runs on it unchanged. What a
partition returns, and how partials merge exactly:

* counts, still-open counts and exclusions per step, per breakdown group and
  per period of a trend (``period=``): sums, group by group and period by
  period (a unit's events are all in one partition, so its group, its
  periods and its furthest step there are those of the whole log);
* the time from the previous step: the exact multiset of per-unit times, kept
  as a histogram ``{seconds: units}``. A time is a whole number of seconds in
  ``[0, window]``, so the histogram has at most ``window + 1`` bins whatever
  the number of units; the median is read from it and the mean is its integer
  sum over its count, both equal to numpy's on all the values (the sums stay
  below 2**53, so float addition in any order is exact);
* the unit ids behind each step, only when asked (``unit_ids=True``): one id
  per unit and step reaches the driver.

A partition with no events returns ``None`` and merges as nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..deals.shared import Instant
from ..errors import FunnelDataError
from ..events.funnel import EventFunnel
from ..events.grouping import Period, columns_of
from ..events.log import EventColumnOptions, EventLog
from ..events.steps import Step
from ..events.units import FunnelOptions, Order, UnitResults, UnitSteps, unit_steps
from ..funnel.model import Funnel, Stage

__all__ = [
    "EventPartial",
    "FunnelPartial",
    "ScaleOptions",
    "event_partial",
    "finish_events",
    "merge_events",
    "split_options",
    "step_names",
    "unit_columns",
]


class ScaleOptions(EventColumnOptions, total=False):
    """The adapters' keywords: the loaders' column keywords and the funnel's options."""

    order: Order
    modes: Sequence[str]
    exclusions: Sequence[tuple[Step, int, int]]
    unit: str | tuple[str, ...] | None
    breakdown: str | tuple[str, ...] | None
    attribution: str
    start: Instant
    end: Instant
    period: Period | None


def split_options(
    steps: Sequence[Step], window: dt.timedelta, options: ScaleOptions
) -> tuple[FunnelOptions, dict[str, Any]]:
    """The funnel's options, and the column keywords of the ``EventLog.from_*`` loaders.

    ``tz`` goes to both, as one ``--tz`` does on the command line: the zone of
    the frame's naive times is also the calendar of the trend's periods and
    the zone of a naive ``start``/``end`` (``event_funnel(..., tz=)``).
    """
    funnel: dict[str, Any] = {
        k: v for k, v in options.items() if k in FunnelOptions.__dataclass_fields__
    }
    columns = {k: v for k, v in options.items() if k not in funnel or k == "tz"}
    return FunnelOptions(steps, window, **funnel), columns


@dataclass(frozen=True, slots=True)
class FunnelPartial:
    """One funnel's mergeable parts: per step counts, open counts, time histograms, ids."""

    counts: tuple[int, ...]
    open_counts: tuple[int, ...]
    excluded: int
    times: tuple[Counter[int], ...]  # per step, seconds from the previous step -> units
    ids: tuple[np.ndarray, ...] | None

    @classmethod
    def of(cls, units: UnitSteps, k: int, unit_ids: bool) -> FunnelPartial:
        """The parts of ``units``."""
        reached, times, is_open = units.reached, units.times, units.is_open
        counts, opens, hists, ids = [], [], [], []
        for j in range(k):
            at = reached >= j + 1
            counts.append(int(at.sum()))
            opens.append(int((is_open & (reached == j + 1)).sum()))
            hist: Counter[int] = Counter()
            if j:
                values, n = np.unique(times[at, j] - times[at, j - 1], return_counts=True)
                hist.update(dict(zip(values.tolist(), n.tolist(), strict=True)))
            hists.append(hist)
            if unit_ids:
                ids.append(units.ids[np.flatnonzero(at)])
        excluded = int((reached == -1).sum())
        return cls(
            tuple(counts), tuple(opens), excluded, tuple(hists), tuple(ids) if unit_ids else None
        )

    def __add__(self, other: FunnelPartial) -> FunnelPartial:
        ids = None
        if self.ids is not None and other.ids is not None:
            ids = tuple(np.concatenate(p) for p in zip(self.ids, other.ids, strict=True))
        return FunnelPartial(
            tuple(a + b for a, b in zip(self.counts, other.counts, strict=True)),
            tuple(a + b for a, b in zip(self.open_counts, other.open_counts, strict=True)),
            self.excluded + other.excluded,
            tuple(a + b for a, b in zip(self.times, other.times, strict=True)),
            ids,
        )


@dataclass(frozen=True, slots=True)
class EventPartial:
    """A partition's partial event funnel: the total, breakdown groups, periods, names seen."""

    total: FunnelPartial
    by: Mapping[str, FunnelPartial] = field(default_factory=dict)
    trend: Mapping[tuple[int, str], FunnelPartial] = field(default_factory=dict)
    names: frozenset[str] = frozenset()
    id_dtype: str = "int64"


def step_names(opts: FunnelOptions) -> list[tuple[str, str]]:
    """``(what, name)`` of every event name the steps and exclusions use, as errors name them."""
    out = []
    items = [(f"step {i + 1}", s) for i, s in enumerate(opts.steps)]
    items += [
        (f"exclusion {n}", e[0]) for n, e in enumerate(opts.exclusions) if isinstance(e, tuple)
    ]
    for what, step in items:
        head = (
            step[0]
            if isinstance(step, tuple) and len(step) == 2 and isinstance(step[1], Mapping)
            else step
        )
        names = (head,) if isinstance(head, str) else head
        if isinstance(names, tuple):
            out += [(what, n) for n in names if isinstance(n, str)]
    return out


def _with_names(log: EventLog, names: Iterable[str]) -> EventLog:
    """The log knowing ``names`` too (a partition may lack a name the whole log has)."""
    wanted = tuple(sorted({*log.names, *names}))
    if wanted == log.names:
        return log
    codes = np.searchsorted(np.array(wanted), np.array(log.names)).astype(np.int16)
    return dataclasses.replace(log, event=codes[log.event] if len(log) else log.event, names=wanted)


def event_partial(log: EventLog, opts: FunnelOptions, unit_ids: bool) -> EventPartial | None:
    """The partial event funnel of one partition (every event of its units); ``None`` if empty."""
    if not len(log):
        return None
    seen = frozenset(log.names)
    log = _with_names(log, (n for _, n in step_names(opts)))
    k = len(opts.steps)
    res = unit_steps(log, opts)
    return EventPartial(
        FunnelPartial.of(res.total, k, unit_ids),
        {g: FunnelPartial.of(u, k, unit_ids) for g, u in res.by.items()},
        {b: FunnelPartial.of(u, k, unit_ids) for b, u in res.trend.items()},
        seen,
        str(res.total.ids.dtype),
    )


def _merge_dtype(a: str, b: str) -> str:
    """The ids' dtype of two partitions: text of the longer width, else the same, else object."""
    da, db = np.dtype(a), np.dtype(b)
    if da.kind == db.kind == "U":
        return str(np.promote_types(da, db))
    return a if da == db else "object"


def _union(
    a: Mapping[Any, FunnelPartial], b: Mapping[Any, FunnelPartial]
) -> dict[Any, FunnelPartial]:
    out = dict(a)
    for g, f in b.items():
        out[g] = out[g] + f if g in out else f
    return out


def merge_events(parts: Iterable[EventPartial | None]) -> EventPartial | None:
    """The partial of the union of partitions (``None`` when every one was empty)."""
    out: EventPartial | None = None
    for p in parts:
        if p is None:
            continue
        if out is None:
            out = p
            continue
        out = EventPartial(
            out.total + p.total,
            _union(out.by, p.by),
            _union(out.trend, p.trend),
            out.names | p.names,
            _merge_dtype(out.id_dtype, p.id_dtype),
        )
    return out


def _median(hist: Counter[int]) -> float:
    """numpy's median of the values the histogram counts."""
    values = sorted(hist)
    n = sum(hist.values())
    cum = np.cumsum([hist[v] for v in values])
    lo = values[int(np.searchsorted(cum, (n - 1) // 2, side="right"))]
    hi = values[int(np.searchsorted(cum, n // 2, side="right"))]
    return float(np.median(np.array([lo, hi], dtype=np.float64)))


def _funnel(
    part: FunnelPartial, res: UnitResults, dtype: str, name: str | None, **extra: object
) -> EventFunnel:
    """The funnel of a merged partial, as :func:`salesfunnel.events.funnel._assemble` builds it."""
    stages: list[Stage] = []
    medians: list[float | None] = [None]
    means: list[float | None] = [None]
    timed = res.options["order"] in ("ordered", "strict")
    for j, label in enumerate(res.labels):
        ids = None
        if part.ids is not None:
            ids = np.sort(part.ids[j].astype(dtype))
            ids.flags.writeable = False
        stages.append(Stage(label, part.counts[j], data=ids))
        if j:
            hist = part.times[j]
            n = sum(hist.values())
            medians.append(_median(hist) if timed and n else None)
            total = sum(v * c for v, c in hist.items())
            means.append(float(np.float64(total) / n) if timed and n else None)
    return EventFunnel(
        funnel=Funnel(tuple(stages), name=name),
        steps=tuple(res.labels),
        counts=part.counts,
        median_s=tuple(medians),
        mean_s=tuple(means),
        open_counts=part.open_counts,
        excluded=part.excluded,
        name=name,
        **{**res.options, **extra},  # type: ignore[arg-type]
    )


def probe_log(properties: Mapping[str, bool], names: Iterable[str], entity: str) -> EventLog:
    """An empty log with these properties (``True``: numeric), event names and entity column."""
    props = {p: np.zeros(0, np.float64 if num else str) for p, num in properties.items()}
    return EventLog(
        entity=np.zeros(0, np.int64),
        event=np.zeros(0, np.int16),
        time=np.zeros(0, "datetime64[s]"),
        names=tuple(sorted(set(names))),
        properties=props,
        entity_column=entity,
    )


def finish_events(
    merged: EventPartial | None,
    opts: FunnelOptions,
    unit_ids: bool,
    properties: Mapping[str, bool],
    entity: str = "entity",
) -> EventFunnel:
    """The :class:`~salesfunnel.EventFunnel` of the merged partial, as on one machine."""
    names = merged.names if merged is not None else frozenset()
    for what, name in step_names(opts):
        if name not in names:
            msg = f"{what}: no event {name!r} in the log (event names are {sorted(names)!r})"
            raise FunnelDataError(msg, column="steps", value=name)
    # The probe gives the labels and the options as results show them (no events: no units).
    res = unit_steps(probe_log(properties, names, entity), opts)
    if merged is None:  # pragma: no cover - a log without events names no step, raised above
        merged = EventPartial(FunnelPartial.of(res.total, len(res.labels), unit_ids))
    dtype = merged.id_dtype
    by = {g: _funnel(merged.by[g], res, dtype, g) for g in sorted(merged.by)}
    extra: dict[str, object] = {}
    if res.period is not None:
        trend = {b[1]: _funnel(merged.trend[b], res, dtype, b[1]) for b in sorted(merged.trend)}
        extra = {"period": res.period, "trend": trend}
    return _funnel(merged.total, res, dtype, None, by=by, **extra)


def unit_columns(opts: FunnelOptions, entity: str) -> list[str]:
    """The columns a cluster partitions by: every event of a unit lands in one partition."""
    return [entity] if opts.unit is None else list(columns_of(opts.unit, "unit"))


def check_options(opts: FunnelOptions, properties: Mapping[str, bool], entity: str) -> None:
    """Raise what :func:`~salesfunnel.event_funnel` raises for bad options, before any work."""
    unit_steps(probe_log(properties, (n for _, n in step_names(opts)), entity), opts)
