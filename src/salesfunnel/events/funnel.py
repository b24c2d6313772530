"""Funnels from event logs, with PostHog's rules.

The rules are taken from ``FUNNEL-SEMANTICS.md`` (the project's summary of
how PostHog, ClickHouse ``windowFunnel``, Mixpanel and Amplitude decide each
edge case), PostHog's being the default semantics. ``W`` is the window.

* **Unit.** Uniques: a unit (the log's entity: a user, a session) counts once
  per step, at its furthest step; counts are cumulative.
* **Window** (2.2): measured from the chain's step-1 event, inclusive: a step
  ``W`` after step 1 counts, ``W + 1 s`` does not. ``W`` must be positive
  (PostHog quietly uses 14 days for ``W <= 0``; we refuse it).
* **Repeated step 1** (2.2): every step-1 event starts a new chain; a later
  chain replaces an earlier one at a step when it reaches that step (keeping
  the latest start, the most window left); a chain already at a step does not
  enter it twice. The search stops after the first complete chain. The unit's
  time to convert is taken from the first chain that reached its furthest
  step.
* **Same event for two steps** (2.2): an event fills at most one step of a
  chain (``view -> view`` needs two views).
* **Equal timestamps** (2.3): events at one time that match different steps
  are taken one per step, in step order; strict resets and exclusions do not
  apply within such a group. Times have one-second resolution.
* **Orders** (2.1): ``ordered`` lets other events come between steps;
  ``strict`` clears the progress of every step an event does not match (all
  of the unit's events count, not only the funnel's); ``unordered`` counts the
  most distinct steps done within one window ``[t, t + W]``, in any order.
* **Exclusions** (2.4): ``(step, i, j)``, 1-based, ``1 <= i < j <= K``: an
  exclusion event inside the window of a chain that reached step ``i`` but not
  ``j`` marks that chain; when the marked chain is the one behind the unit's
  furthest step, the unit is removed from the whole funnel, step 1 included
  (:attr:`EventFunnel.excluded` counts them). An exclusion after that chain's
  window has passed is ignored.
* **Breakdown** (2.6): a unit is attributed the value of a property on its
  first (``first_touch``) or last (``last_touch``) event that matches a step
  and has a value; a unit with none is in the ``"(none)"`` group. The groups
  partition the units, so their counts add up to the total. (PostHog also
  looks at exclusion events, and under ``strict`` at every event; we look at
  step events only.) ``all_events``: the funnel of each value is computed on
  the events with that value only (events without one form ``"(none)"``), so a
  unit may count in several groups and the groups need not add up.
* **Period**: ``start <= t < end``; events outside are not seen, so a chain
  begun before ``start`` does not count. A unit not complete whose latest
  step-1 event (any step event, unordered) is less than ``W`` before ``end``
  may still convert: it is counted at its furthest step and reported in
  :attr:`EventFunnel.open_counts` (right-censored), not as a failure.

Engines (see :mod:`salesfunnel.events.engine`): ``ordered`` without
exclusions and with steps that no event matches twice runs vectorised;
``unordered`` too (its steps must not overlap); every other case runs a
plain loop per unit, slower but the same rules.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from .._format import escape_html, fmt_percent
from .._table import Cell, ResultTable, TableView
from ..deals.shared import Instant, parse_instant
from ..errors import FunnelDataError
from ..funnel.model import Funnel, Stage
from ..funnel.rates import conversion_from_first, step_conversion
from . import engine as eng
from .log import EventLog
from .steps import Step, step_label, step_mask

__all__ = ["NO_VALUE_GROUP", "EventFunnel", "event_funnel"]

Order = Literal["ordered", "strict", "unordered"]
Attribution = Literal["first_touch", "last_touch", "all_events"]
I64 = npt.NDArray[np.int64]
NO_VALUE_GROUP = "(none)"
"""The breakdown group of units without a value."""


@dataclass(frozen=True, slots=True)
class EventFunnel(TableView):
    """An event-log funnel: counts, conversions, times and the units behind each step.

    Attributes
    ----------
    funnel
        A :class:`~salesfunnel.Funnel` of the steps; each stage's ``data`` is a
        read-only array of the ids of the units counted there (a chart click
        decodes to them). :class:`~salesfunnel.FunnelChart` and
        :func:`~salesfunnel.compare` accept it.
    steps
        The steps' labels.
    counts
        Units that reached each step (cumulative).
    median_s, mean_s
        Per step, time from the previous step of the units that reached it,
        in seconds (``None`` for step 1, for a step nobody reached and for
        ``unordered``).
    open_counts
        Per step, units whose furthest step it is and whose window is still
        open at ``end`` (right-censored: not failed yet; all 0 without ``end``).
    excluded
        Units removed by an exclusion.
    order, window, attribution, breakdown, start, end, name
        The options asked for (``start``/``end`` as ISO text); ``name`` is the
        breakdown value (``None`` for the total).
    by
        Breakdown value to the funnel of its units (empty without breakdown).
    """

    funnel: Funnel
    steps: tuple[str, ...]
    counts: tuple[int, ...]
    median_s: tuple[float | None, ...]
    mean_s: tuple[float | None, ...]
    open_counts: tuple[int, ...]
    excluded: int
    order: str
    window: dt.timedelta
    attribution: str
    breakdown: str | None = None
    start: str | None = None
    end: str | None = None
    name: str | None = None
    by: Mapping[str, EventFunnel] = field(default_factory=dict)

    @property
    def units(self) -> tuple[np.ndarray, ...]:
        """Per step, the ids of the units counted there (read-only arrays)."""
        return tuple(s.data for s in self.funnel.stages)

    @property
    def step_conversion(self) -> tuple[float, ...]:
        """Per step, the share of the previous step's units that reached it (NaN if none)."""
        return tuple(float(v) for v in step_conversion(self.funnel))

    @property
    def overall_conversion(self) -> float:
        """Last step over first step (NaN when nobody entered)."""
        c = self.counts
        return c[-1] / c[0] if c[0] else math.nan

    @property
    def drop_off(self) -> tuple[int, ...]:
        """Per step, units of the previous step that did not reach it (0 for step 1)."""
        c = self.counts
        return (0, *(c[i - 1] - c[i] for i in range(1, len(c))))

    @property
    def table(self) -> ResultTable:
        """Per step: units, conversions, drop-off, still open, time from the previous step."""
        cols = (
            "step", "units", "step_conversion", "conversion_from_first", "drop_off",
            "still_open", "median_s", "mean_s",
        )  # fmt: skip
        first = conversion_from_first(self.funnel)
        step = self.step_conversion
        rows: list[tuple[Cell, ...]] = []
        for i, label in enumerate(self.steps):
            rows.append(
                (
                    label,
                    self.counts[i],
                    step[i],
                    float(first[i]),
                    self.drop_off[i],
                    self.open_counts[i],
                    self.median_s[i],
                    self.mean_s[i],
                )
            )
        return ResultTable(self.name or "event funnel", cols, tuple(rows))

    def _payload(self) -> dict[str, object]:
        return {
            "name": self.name,
            "order": self.order,
            "window_s": self.window.total_seconds(),
            "start": self.start,
            "end": self.end,
            "breakdown": self.breakdown,
            "attribution": self.attribution if self.breakdown else None,
            "excluded": self.excluded,
            "steps": self.to_records(),
            "by": {k: v._payload() for k, v in self.by.items()},
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """Options, steps and breakdown groups as strict JSON (``null`` for undefined)."""
        return json.dumps(self._payload(), indent=indent, ensure_ascii=False, allow_nan=False)

    def _summary(self) -> str:
        text = (
            f"{self.counts[0]} units entered, {self.counts[-1]} completed "
            f"({fmt_percent(self.overall_conversion)}); window {self.window}, order {self.order}"
        )
        if self.excluded:
            text += f"; {self.excluded} removed by exclusions"
        if any(self.open_counts):
            text += f"; {sum(self.open_counts)} still inside their window at {self.end}"
        return text

    def __str__(self) -> str:
        parts = [f"{self.table}\n{self._summary()}"]
        parts += [str(sub) for sub in self.by.values()]
        return "\n\n".join(parts)

    def _repr_html_(self) -> str:
        html = f"{self.table._repr_html_()}<p>{escape_html(self._summary())}</p>"
        return html + "".join(sub._repr_html_() for sub in self.by.values())

    def __repr__(self) -> str:
        return (
            f"EventFunnel(steps={len(self.steps)}, counts={self.counts!r}, order={self.order!r}, "
            f"window='{self.window}', excluded={self.excluded}, groups={len(self.by)})"
        )


# -- the computation ------------------------------------------------------------------
class _Request(NamedTuple):
    """What the engines need: steps, window (s), order, exclusion masks, period (s)."""

    k: int
    window: float
    order: Order
    exclusions: tuple[tuple[npt.NDArray[np.bool_], int, int], ...]
    start: int | None
    end: int | None


def _check_options(
    log: object,
    steps: object,
    window: object,
    order: str,
    breakdown: object,
    attribution: str,
) -> None:
    if not isinstance(log, EventLog):
        msg = f"log must be an EventLog (got {type(log).__name__})"
        raise FunnelDataError(msg, column="log", value=log)
    if isinstance(steps, (str, bytes)) or not isinstance(steps, Sequence) or not steps:
        msg = f"steps must be a non-empty list of steps (got {steps!r})"
        raise FunnelDataError(msg, column="steps", value=steps)
    if not isinstance(window, dt.timedelta) or window <= dt.timedelta(0):
        msg = f"window must be a positive datetime.timedelta (got {window!r})"
        raise FunnelDataError(msg, column="window", value=window)
    if order not in ("ordered", "strict", "unordered"):
        msg = f"order must be 'ordered', 'strict' or 'unordered' (got {order!r})"
        raise FunnelDataError(msg, column="order", value=order)
    if attribution not in ("first_touch", "last_touch", "all_events"):
        msg = (
            f"attribution must be 'first_touch', 'last_touch' or 'all_events' (got {attribution!r})"
        )
        raise FunnelDataError(msg, column="attribution", value=attribution)
    if breakdown is not None and breakdown not in log.properties:
        msg = (
            f"breakdown {breakdown!r} is not a property of the log "
            f"(properties are {list(log.properties)!r}; name it in properties= when loading)"
        )
        raise FunnelDataError(msg, column="breakdown", value=breakdown)


def _exclusions(
    log: EventLog, exclusions: Sequence[tuple[Step, int, int]], k: int, order: str
) -> tuple[tuple[npt.NDArray[np.bool_], int, int], ...]:
    out = []
    for n, item in enumerate(exclusions):
        ok = isinstance(item, tuple) and len(item) == 3
        i, j = (item[1], item[2]) if ok else (0, 0)
        if not ok or not all(isinstance(v, int) for v in (i, j)) or not 1 <= i < j <= k:
            msg = (
                f"exclusion {n} must be (step, i, j) with 1 <= i < j <= {k}, steps numbered "
                f"from 1 (got {item!r})"
            )
            raise FunnelDataError(msg, column="exclusions", value=item)
        out.append((step_mask(log, item[0], f"exclusion {n}"), i, j))
    if out and order == "unordered":
        msg = "exclusions are not supported with order='unordered' (PostHog refuses them too)"
        raise FunnelDataError(msg, column="exclusions", value=exclusions)
    return tuple(out)


def _run(
    log: EventLog, masks: npt.NDArray[np.bool_], req: _Request, only: npt.NDArray[np.bool_]
) -> tuple[eng.Units, I64, I64]:
    """The engine's per-unit result, and the sorted rows and their matched step (0: none).

    Only the events where ``only`` holds are seen (all_events: one breakdown value).
    """
    t_all = log.time.view(np.int64)
    keep = only.copy()
    if req.start is not None:
        keep &= t_all >= req.start
    if req.end is not None:
        keep &= t_all < req.end
    masks = masks & keep
    n_match = masks.sum(axis=0)
    excl_any = np.zeros(len(log), dtype=bool)
    for m, _, _ in req.exclusions:
        excl_any |= m
    excl_any &= keep
    if req.order == "strict":
        rows = np.flatnonzero(keep)
    else:
        rows = np.flatnonzero((n_match > 0) | excl_any)
    step_of = (np.argmax(masks, axis=0) + 1) * (n_match > 0)
    unit, t = log.entity[rows], t_all[rows]
    simple = req.order != "strict" and not req.exclusions and bool((n_match <= 1).all())
    if req.order == "unordered" and not (n_match <= 1).all():
        msg = "with order='unordered' no event may match two steps (the steps overlap)"
        raise FunnelDataError(msg, column="steps")
    if simple:
        # By unit, time, then step: a same-time group is taken in step order.
        rows = rows[np.lexsort((step_of[rows], t, unit))]
        unit, t, st = log.entity[rows], t_all[rows], step_of[rows].astype(np.int64)
        run = eng.unordered_fast if req.order == "unordered" else eng.ordered_fast
        return run(unit, t, st, req.k, req.window), rows, st
    rows = rows[np.lexsort((t, unit))]  # stable: equal times keep the log's order
    steps = [_steps_of(masks[:, r], excl_any[r], req, r) for r in rows.tolist()]
    units = eng.state_machine(
        log.entity[rows], t_all[rows], steps, req.k, req.window, req.order == "strict"
    )
    return units, rows, step_of[rows].astype(np.int64)


def _steps_of(
    column: npt.NDArray[np.bool_], excluded: bool, req: _Request, row: int
) -> tuple[int, ...]:
    """An event's steps in PostHog's encoding: matched steps, then ``-s`` per exclusion."""
    out = [s + 1 for s in np.flatnonzero(column).tolist()]
    if excluded:
        for m, i, j in req.exclusions:
            if m[row]:
                out += [-s for s in range(i + 1, j + 1)]
    return tuple(out)


def _value_text(v: object) -> str:
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def _groups(
    log: EventLog, units: eng.Units, rows: I64, st: I64, breakdown: str, attribution: str
) -> npt.NDArray[np.object_]:
    """Per unit, its breakdown value (``NO_VALUE_GROUP`` when none)."""
    col = log.properties[breakdown][rows]
    missing = np.isnan(col) if col.dtype.kind == "f" else col == ""
    use = np.flatnonzero((st > 0) & ~missing)
    where = np.searchsorted(units.keys, log.entity[rows[use]])
    if attribution == "first_touch":
        where, use = where[::-1], use[::-1]  # the first row of a unit is written last
    out = np.full(len(units.keys), NO_VALUE_GROUP, dtype=object)
    out[where] = [_value_text(v) for v in col[use].tolist()]
    return out


def _open(log: EventLog, units: eng.Units, rows: I64, st: I64, req: _Request) -> np.ndarray:
    """Per unit: not complete, and its latest entry is less than ``W`` before ``end``."""
    if req.end is None:
        return np.zeros(len(units.keys), dtype=bool)
    entry = st > 0 if req.order == "unordered" else st == 1
    latest = np.full(len(units.keys), np.iinfo(np.int64).min // 2, dtype=np.int64)
    where = np.searchsorted(units.keys, log.entity[rows[entry]])
    np.maximum.at(latest, where, log.time.view(np.int64)[rows[entry]])
    reached = units.reached
    return (reached >= 1) & (reached < req.k) & (latest + req.window >= req.end)


def _unique(labels: list[str]) -> list[str]:
    out: list[str] = []
    for label in labels:
        name, n = label, 1
        while name in out:
            n += 1
            name = f"{label} ({n})"
        out.append(name)
    return out


def _assemble(
    log: EventLog,
    units: eng.Units,
    is_open: np.ndarray,
    sel: npt.NDArray[np.bool_] | npt.NDArray[np.intp],
    labels: list[str],
    options: dict[str, object],
    name: str | None,
) -> EventFunnel:
    reached, keys, times = units.reached[sel], units.keys[sel], units.times[sel]
    k = len(labels)
    stages, opens = [], []
    medians: list[float | None] = [None]
    means: list[float | None] = [None]
    timed = options["order"] != "unordered"
    for j in range(k):
        at = reached >= j + 1
        ids = log.ids_of(keys[at])
        ids.flags.writeable = False
        stages.append(Stage(labels[j], int(at.sum()), data=ids))
        opens.append(int((is_open[sel] & (reached == j + 1)).sum()))
        if j:
            d = (times[at, j] - times[at, j - 1]).astype(np.float64)
            ok = timed and d.size > 0
            medians.append(float(np.median(d)) if ok else None)
            means.append(float(d.mean()) if ok else None)
    return EventFunnel(
        funnel=Funnel(tuple(stages), name=name),
        steps=tuple(labels),
        counts=tuple(int(s.count) for s in stages),
        median_s=tuple(medians),
        mean_s=tuple(means),
        open_counts=tuple(opens),
        excluded=int((reached == -1).sum()),
        name=name,
        **options,  # type: ignore[arg-type]
    )


def event_funnel(
    log: EventLog,
    steps: Sequence[Step],
    *,
    window: dt.timedelta,
    order: Order = "ordered",
    exclusions: Sequence[tuple[Step, int, int]] = (),
    breakdown: str | None = None,
    attribution: Attribution = "first_touch",
    start: Instant = None,
    end: Instant = None,
) -> EventFunnel:
    """The funnel of an event log: how many units went through the steps within ``window``.

    The rules (PostHog's) are stated in :mod:`salesfunnel.events.funnel`.

    Parameters
    ----------
    log
        The events.
    steps
        The steps in order: event names, tuples of names (any of them), or
        ``(name, {property: (op, value)})`` filters.
    window
        The conversion window from each chain's step-1 event, inclusive.
    order
        ``'ordered'`` (other events may come between steps), ``'strict'`` (no
        other event of the unit may) or ``'unordered'``.
    exclusions
        ``(step, i, j)``: units that did ``step`` between reaching step ``i``
        and step ``j`` (1-based) are removed from the funnel.
    breakdown, attribution
        A property to group units by, taken from their first
        (``'first_touch'``) or last (``'last_touch'``) step event with a value,
        or (``'all_events'``) a funnel per value on that value's events only.
    start, end
        Only events with ``start <= time < end`` are seen; ``end`` also marks
        the units still inside their window (:attr:`EventFunnel.open_counts`).

    Raises
    ------
    FunnelDataError
        A bad option, an event name the log does not hold, a filter on a
        missing property or on a value of the wrong kind.

    Examples
    --------
    >>> import datetime as dt
    >>> log = EventLog.from_records([
    ...     {"entity": "a", "event": "view", "time": "2024-01-01T10:00:00"},
    ...     {"entity": "a", "event": "buy", "time": "2024-01-01T10:20:00"},
    ...     {"entity": "b", "event": "view", "time": "2024-01-01T10:00:00"},
    ...     {"entity": "b", "event": "buy", "time": "2024-01-01T11:00:00"},
    ... ])
    >>> f = event_funnel(log, ["view", "buy"], window=dt.timedelta(minutes=30))
    >>> f.counts, f.units[1].tolist(), f.median_s
    ((2, 1), ['a'], (None, 1200.0))
    """
    _check_options(log, steps, window, order, breakdown, attribution)
    k = len(steps)
    labels = _unique([step_label(s) for s in steps])
    masks = np.zeros((k, len(log)), dtype=bool)
    for i, s in enumerate(steps):
        masks[i] = step_mask(log, s, f"step {i + 1}")
    t0, t1 = parse_instant(start, "start"), parse_instant(end, "end")
    if t0 is not None and t1 is not None and t1 <= t0:
        msg = f"end must be after start (got start={start!r}, end={end!r})"
        raise FunnelDataError(msg, column="end", value=end)
    req = _Request(k, window.total_seconds(), order, _exclusions(log, exclusions, k, order), t0, t1)
    units, rows, st = _run(log, masks, req, np.ones(len(log), dtype=bool))
    is_open = _open(log, units, rows, st, req)
    options: dict[str, object] = {
        "order": order,
        "window": window,
        "attribution": attribution,
        "breakdown": breakdown,
        "start": None if t0 is None else str(np.datetime64(t0, "s")),
        "end": None if t1 is None else str(np.datetime64(t1, "s")),
    }
    by: dict[str, EventFunnel] = {}
    if breakdown is not None and attribution == "all_events":
        col = log.properties[breakdown]
        values = np.array([_value_text(v) for v in col.tolist()], dtype=object)
        values[np.isnan(col) if col.dtype.kind == "f" else col == ""] = NO_VALUE_GROUP
        for g in sorted(set(values.tolist())):
            u, r, matched = _run(log, masks, req, values == g)
            opened = _open(log, u, r, matched, req)
            by[g] = _assemble(log, u, opened, np.arange(len(u.keys)), labels, options, g)
    elif breakdown is not None:
        group = _groups(log, units, rows, st, breakdown, attribution)
        # One sort by group, then each group's units are a slice (not a scan per group).
        names, inverse = np.unique(group.astype(str), return_inverse=True)
        by_group = np.argsort(inverse.reshape(-1), kind="stable")
        cuts = np.cumsum(np.bincount(inverse.reshape(-1), minlength=len(names)))[:-1]
        for g, members in zip(names.tolist(), np.split(by_group, cuts), strict=True):
            by[g] = _assemble(log, units, is_open, members, labels, options, g)
    everyone = np.arange(len(units.keys))
    return _assemble(log, units, is_open, everyone, labels, {**options, "by": by}, None)
