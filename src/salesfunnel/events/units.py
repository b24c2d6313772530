"""Per-unit results of an event funnel: the hook that event_funnel and the adapters reduce.

:func:`unit_steps` validates the options, runs the engine (the rules are
stated in :mod:`salesfunnel.events.funnel`) and returns, for the total, each
breakdown group and each period of a trend, every unit's furthest step, chain
times and still-open flag. :func:`~salesfunnel.event_funnel` reduces them to
counts, medians and ids; :mod:`salesfunnel.scale` runs :func:`unit_steps` on
each partition of a cluster (every unit's events in one partition) and merges
exact partials of the same values. Every result depends on a unit's own events
only (and on the options), which is what makes the partitions independent.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from .._calendar import local_seconds
from .._time import as_timedelta, zone_argument
from ..deals.idlookup import CodedIds
from ..deals.shared import Instant, parse_instant
from ..errors import FunnelDataError
from . import clickhouse as ch, engine as eng
from .chunked import by_chunks
from .grouping import (
    NO_VALUE_GROUP,
    Period,
    breakdown_values,
    columns_of,
    factorize,
    period_buckets,
    with_unit,
)
from .groupvalues import GroupValues
from .log import EventLog
from .rowsort import sort_order, sort_rows
from .steps import Step, name_tables, step_label, step_mask

__all__ = ["FunnelOptions", "Order", "UnitResults", "UnitSteps", "unit_steps"]

Order = Literal["ordered", "strict", "unordered", "clickhouse"]
I64 = npt.NDArray[np.int64]
Steps = npt.NDArray[np.integer]  # per row its step (0: none), int8 or int64
Tables = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True, slots=True)
class FunnelOptions:
    """The arguments of :func:`~salesfunnel.event_funnel` but the log, as one value."""

    steps: Sequence[Step]
    window: dt.timedelta
    order: Order = "ordered"
    modes: Sequence[str] = ()
    exclusions: Sequence[tuple[Step, int, int]] = ()
    unit: str | tuple[str, ...] | None = None
    breakdown: str | tuple[str, ...] | None = None
    attribution: str = "first_touch"
    start: Instant = None
    end: Instant = None
    period: Period | None = None
    tz: object = None

    def __post_init__(self) -> None:  # a numpy timedelta64 window is read as a timedelta
        object.__setattr__(self, "window", as_timedelta(self.window))


@dataclass(frozen=True, slots=True)
class UnitSteps:
    """Per unit (in key order): id, furthest step (-1: excluded), chain times, still open.

    ``times[u, j]`` is the time (s) the unit's chain reached step ``j + 1``
    (-1 unset; no times for ``unordered`` and ``clickhouse``). The ids are
    looked up where read (:class:`~salesfunnel.deals.idlookup.CodedIds`: text
    ids cost a Python string each).
    """

    ids: CodedIds
    reached: I64
    times: I64
    is_open: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, log: EventLog, units: eng.Units, is_open: npt.NDArray[np.bool_]) -> UnitSteps:
        return cls(log.ids_later(units.keys), units.reached, units.times, is_open)

    def __getitem__(self, sel: npt.NDArray[np.intp]) -> UnitSteps:
        """The units ``sel`` (indices)."""
        return UnitSteps(self.ids.take(sel), self.reached[sel], self.times[sel], self.is_open[sel])


@dataclass(frozen=True, slots=True)
class UnitResults:
    """What :func:`unit_steps` returns: labels, the options as results show them, the units.

    ``by`` maps each breakdown value to its units (sorted by value), ``trend``
    each period, by ``(number, label)`` in time order, to the units of the
    chains begun in it.
    """

    labels: list[str]
    options: dict[str, object]
    total: UnitSteps
    by: dict[str, UnitSteps]
    trend: dict[tuple[int, str], UnitSteps]
    period: str | None = None  # the period asked for, as the result shows it


Zone = dt.tzinfo | None


class _Request(NamedTuple):
    """What the engines need: steps, window (s), order, exclusion masks, period (s)."""

    k: int
    window: float
    order: Order
    exclusions: tuple[tuple[npt.NDArray[np.bool_], int, int], ...]
    start: int | None
    end: int | None
    modes: tuple[str, ...] = ()


def _check_options(
    log: object, steps: object, window: object, order: str, modes: object, attribution: str
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
    if order not in ("ordered", "strict", "unordered", "clickhouse"):
        msg = f"order must be 'ordered', 'strict', 'unordered' or 'clickhouse' (got {order!r})"
        raise FunnelDataError(msg, column="order", value=order)
    _check_modes(order, modes)
    named = attribution in ("first_touch", "last_touch", "all_events")
    step_n = attribution.startswith("step_") and attribution[5:].isdigit()
    if not isinstance(attribution, str) or not (named or step_n):
        msg = (
            "attribution must be 'first_touch', 'last_touch', 'all_events' or 'step_<n>' "
            f"(got {attribution!r})"
        )
        raise FunnelDataError(msg, column="attribution", value=attribution)
    if step_n and not 1 <= int(attribution[5:]) <= len(steps):
        msg = f"attribution {attribution!r}: steps are numbered 1 to {len(steps)}"
        raise FunnelDataError(msg, column="attribution", value=attribution)


def _check_modes(order: str, modes: object) -> None:
    if isinstance(modes, str) or not isinstance(modes, Sequence):
        msg = f"modes must be a list of windowFunnel modes (got {modes!r})"
        raise FunnelDataError(msg, column="modes", value=modes)
    for mode in modes:
        if mode not in ch.MODES:
            msg = f"unknown windowFunnel mode {mode!r} (use some of {list(ch.MODES)!r})"
            raise FunnelDataError(msg, column="modes", value=mode)
    if modes and order != "clickhouse":
        msg = f"modes are ClickHouse windowFunnel's: they need order='clickhouse' (got {order!r})"
        raise FunnelDataError(msg, column="modes", value=modes)
    if "allow_reentry" in modes and "strict_order" not in modes:
        msg = "the mode 'allow_reentry' needs 'strict_order' (as in ClickHouse)"
        raise FunnelDataError(msg, column="modes", value=modes)


def _exclusions(
    log: EventLog, exclusions: Sequence[tuple[Step, int, int]], k: int, order: str
) -> tuple[tuple[npt.NDArray[np.bool_], int, int], ...]:
    out = []
    for n, item in enumerate(exclusions):
        ok = isinstance(item, tuple) and len(item) == 3
        i, j = (item[1], item[2]) if ok else (0, 0)
        whole = all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (i, j))
        if not ok or not whole or not 1 <= i < j <= k:
            msg = (
                f"exclusion {n} must be (step, i, j) with 1 <= i < j <= {k}, steps numbered "
                f"from 1 (got {item!r})"
            )
            raise FunnelDataError(msg, column="exclusions", value=item)
        out.append((step_mask(log, item[0], f"exclusion {n}"), int(i), int(j)))
    if out and order in ("unordered", "clickhouse"):
        msg = f"exclusions are not supported with order={order!r} (nor by PostHog, unordered)"
        raise FunnelDataError(msg, column="exclusions", value=exclusions)
    return tuple(out)


def _run(
    log: EventLog,
    masks: npt.NDArray[np.bool_],
    req: _Request,
    only: npt.NDArray[np.bool_] | None = None,
    tables: Tables | None = None,
) -> tuple[eng.Units, I64, Steps]:
    """The engine's per-unit result, and the sorted rows and their matched step (0: none).

    Only the events where ``only`` holds are seen (all_events: one breakdown value;
    ``None``: every event). ``tables``: :func:`~.steps.step_tables` of the steps
    the unchanged ``masks`` hold (a read of the event codes instead of a pass per mask).
    """
    t_all = log.time.view(np.int64)
    keep = None if only is None else only.copy()
    for bound, inside in ((req.start, np.greater_equal), (req.end, np.less)):
        if bound is not None:
            seen = inside(t_all, bound)
            keep = seen if keep is None else np.logical_and(keep, seen, out=keep)
    if keep is not None and not keep.all():
        masks = masks & keep
    if tables is not None and keep is None:
        step_of, n_match = tables[0][log.event], tables[1][log.event]
    else:
        n_match = np.zeros(len(log), dtype=np.int8)
        step_of = np.zeros(len(log), dtype=np.int8 if req.k < 127 else np.int64)
        for i in range(req.k - 1, -1, -1):  # the first step an event matches wins
            n_match += masks[i]
            np.putmask(step_of, masks[i], i + 1)
    excl_any = np.zeros(len(log), dtype=bool)
    for m, _, _ in req.exclusions:
        excl_any |= m
    if req.exclusions and keep is not None:
        excl_any &= keep
    every = req.order == "strict" or (req.order == "clickhouse" and "strict_order" in req.modes)
    rows: I64
    if every:
        rows = np.arange(len(log), dtype=np.int64) if keep is None else np.flatnonzero(keep)
    elif req.exclusions:
        rows = np.flatnonzero((n_match > 0) | excl_any)
    else:
        rows = np.flatnonzero(step_of)  # a step matched: step_of > 0
    one_step = int(n_match.max(initial=0)) <= 1
    unit, t = log.entity[rows], t_all[rows]
    # windowFunnel without modes keeps the latest start at each level, as PostHog's
    # ordered rule does: with steps no event matches twice, the same levels.
    plain_ch = req.order == "clickhouse" and not req.modes
    simple = (req.order in ("ordered", "unordered") or plain_ch) and not req.exclusions
    if req.order == "unordered" and not one_step:
        msg = "with order='unordered' no event may match two steps (the steps overlap)"
        raise FunnelDataError(msg, column="steps")
    if simple and one_step:
        # By unit, time, then step: a same-time group is taken in step order.
        rows, unit, t, st = sort_rows(rows, unit, t, step_of[rows], req.k + 1)
        run = eng.unordered_fast if req.order == "unordered" else eng.ordered_fast
        return run(unit, t, st, req.k, req.window), rows, st
    rows = rows[sort_order(unit, t)]  # stable: equal times keep the log's order
    if req.order == "clickhouse":
        matched = [tuple(i + 1 for i, b in enumerate(c) if b) for c in masks[:, rows].T.tolist()]
        units = ch.window_funnel(
            log.entity[rows], t_all[rows], matched, req.k, req.window, req.modes
        )
        return units, rows, step_of[rows].astype(np.int64)
    return _split(log, masks, req, rows, step_of[rows].astype(np.int64), n_match, excl_any)


def _split(
    log: EventLog, masks: npt.NDArray[np.bool_], req: _Request, rows: I64, st64: I64,
    n_match: npt.NDArray[np.int8], excl_any: npt.NDArray[np.bool_],
) -> tuple[eng.Units, I64, I64]:  # fmt: skip
    """``ordered`` and ``strict`` on ``rows`` (sorted by unit and time, steps ``st64``):
    the fast path for the units it takes, the loop for the others, merged."""
    t_all = log.time.view(np.int64)
    # Only the units with an event matching two steps, with an event that is both a step
    # and an exclusion event or (strict) a time holding events of different kinds take
    # the loop; the others a fast path.
    unit, t = log.entity[rows], t_all[rows]
    slow = n_match[rows] > 1
    kinds = _exclusion_kinds(req, excl_any[rows], rows)
    watch = None
    if kinds is None:  # more than 62 exclusions or steps: every exclusion unit loops
        slow |= excl_any[rows]
        kind = st64
    else:
        slow |= excl_any[rows] & (n_match[rows] > 0)
        kind, watch = kinds
        kind += st64 * (int(kind.max(initial=0)) + 1)
    if req.order == "strict":
        slow |= eng.mixed_units(unit, t, kind)
    elif watch is not None:  # an exclusion sharing its time with another kind is ignored
        watch[eng.mixed_times(unit, t, kind)] = 0
    slow = eng.units_with(unit, slow)
    rest = _state_machine(log, masks, excl_any, req, rows[slow])
    if watch is not None and not watch[~slow].any():
        watch = None
    if req.order == "strict":
        w = None if watch is None else watch[~slow]
        fast = eng.strict_fast(unit[~slow], t[~slow], st64[~slow], req.k, req.window, w)
    else:  # ordered: put ties in step order
        r, u, tt, s = sort_rows(rows[~slow], unit[~slow], t[~slow], st64[~slow], req.k + 1)
        if watch is not None:
            by_row = np.zeros(len(log), dtype=np.int64)
            by_row[rows] = watch
            watch = by_row[r]
        fast = eng.ordered_fast(u, tt, s, req.k, req.window, watch)
    return eng.merge_units(fast, rest), rows, st64


def _exclusion_kinds(
    req: _Request, excluding: npt.NDArray[np.bool_], rows: I64
) -> tuple[I64, I64] | None:
    """Per row of ``rows``: an id of its exclusions as the loop encodes them (0: none;
    equal ids for equal encodings) and the steps they watch (bit ``s - 1`` for ``-s``)."""
    if len(req.exclusions) > 62 or req.k > 62:
        return None
    kind = np.zeros(len(rows), dtype=np.int64)
    watch = np.zeros(len(rows), dtype=np.int64)
    at = np.flatnonzero(excluding)
    bits = np.zeros(len(at), dtype=np.int64)
    for e, (m, _, _) in enumerate(req.exclusions):
        bits |= m[rows[at]].astype(np.int64) << e
    values, inverse = np.unique(bits, return_inverse=True)
    ids: dict[tuple[int, ...], int] = {(): 0}
    kinds, watches = [], []
    for v in values.tolist():
        code = tuple(-s for e, (_, i, j) in enumerate(req.exclusions) if v >> e & 1
                     for s in range(i + 1, j + 1))  # fmt: skip
        kinds.append(ids.setdefault(code, len(ids)))
        watches.append(sum(1 << (-s - 1) for s in set(code)))
    kind[at] = np.array(kinds, dtype=np.int64)[inverse]
    watch[at] = np.array(watches, dtype=np.int64)[inverse]
    return kind, watch


def _state_machine(
    log: EventLog, masks: npt.NDArray[np.bool_], excl_any: np.ndarray, req: _Request, rows: I64
) -> eng.Units:
    """The general path on ``rows`` (sorted by unit, then time)."""
    steps = [_steps_of(masks[:, r], excl_any[r], req, r) for r in rows.tolist()]
    t = log.time.view(np.int64)[rows]
    return eng.state_machine(log.entity[rows], t, steps, req.k, req.window, req.order == "strict")


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


def _groups(
    log: EventLog, units: eng.Units, rows: I64, st: Steps, values: GroupValues, attribution: str
) -> np.ndarray:
    """Per unit, its breakdown value (``NO_VALUE_GROUP`` when none), as text."""
    sel = st > 0
    sel &= values.valued(rows)
    use, s = rows[sel], st[sel]
    u = log.entity[use]
    # By unit, time, then step (stable): the order of the vectorised path, which the loop
    # (by unit and time) takes too, so a tie does not depend on the path other units chose.
    n_steps = int(s.max()) + 1 if len(s) else 1
    use, u, _, s = sort_rows(use, u, log.time.view(np.int64)[use], s, n_steps)
    edge = np.ones(len(u), dtype=bool)  # per unit, its first (first_touch) or last row
    if attribution == "first_touch":
        edge[1:] = u[1:] != u[:-1]
    else:
        edge[:-1] = u[1:] != u[:-1]
    out = np.full(
        len(units.keys),
        NO_VALUE_GROUP,
        dtype=np.result_type(values.dtype, np.array(NO_VALUE_GROUP).dtype),
    )
    out[np.searchsorted(units.keys, u[edge])] = values[use[edge]]
    return out


def _open(log: EventLog, units: eng.Units, rows: I64, st: Steps, req: _Request) -> np.ndarray:
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


def _step_n(
    log: EventLog, masks: npt.NDArray[np.bool_], req: _Request, values: GroupValues, n: int
) -> tuple[eng.Units, np.ndarray, npt.NDArray[np.object_]]:
    """``attribution='step_<n>'``: per unit, its level, open flag and value.

    For each value ``v`` the funnel is run with step ``n`` matching only events
    whose value is ``v``; a unit belongs to the value, among those of its
    step-``n`` events, that takes it furthest (ties: the value of its earlier
    step-``n`` event), and units without a step-``n`` event to ``"(none)"``.
    """
    total, rows, st = _run(log, masks, req)
    reached, times = total.reached.copy(), total.times.copy()
    is_open = _open(log, total, rows, st, req)
    group = np.full(len(total.keys), NO_VALUE_GROUP, dtype=object)
    best = np.full(len(total.keys), -2, dtype=np.int64)
    t_all = log.time.view(np.int64)
    seen_n = masks[n - 1, rows[st > 0]]
    on_n = rows[st > 0][seen_n]  # step-n events seen, by unit, time and step (as in _groups)
    order = np.lexsort((st[st > 0][seen_n], t_all[on_n], log.entity[on_n]))
    first_seen: dict[tuple[int, str], int] = {}
    for pos, r in enumerate(on_n[order].tolist()):
        first_seen.setdefault((int(log.entity[r]), str(values[r]) or NO_VALUE_GROUP), pos)
    for v in sorted({v for _, v in first_seen}):
        mask_v = masks.copy()
        mask_v[n - 1] &= values.equal(v if v != NO_VALUE_GROUP else "")
        u, r, s = _run(log, mask_v, req)
        opened = _open(log, u, r, s, req)
        at = np.searchsorted(total.keys, u.keys)
        for i, key in enumerate(u.keys.tolist()):
            seen_at = first_seen.get((key, v))
            if seen_at is None:
                continue
            level = int(u.reached[i])
            j = int(at[i])
            if level > best[j] or (level == best[j] and seen_at < first_seen[(key, group[j])]):
                best[j], group[j] = level, v
                reached[j], times[j], is_open[j] = level, u.times[i], opened[i]
    return eng.Units(total.keys, reached, times), is_open, group


def _trend(
    log: EventLog, masks: npt.NDArray[np.bool_], req: _Request, period: Period, zone: Zone
) -> dict[tuple[int, str], UnitSteps]:
    """Per period in which some step-1 event falls, the units of the chains begun in it.

    Days, weeks and months are cut on ``zone``'s calendar (UTC's without one);
    a ``timedelta`` period is a length of time from ``start``, in any zone.
    """
    t_all = log.time.view(np.int64)
    calendar = local_seconds(t_all, zone) if isinstance(period, str) else t_all
    number, label = period_buckets(calendar, period, req.start)
    del calendar
    seen = masks[0].copy()
    if req.start is not None:
        seen &= t_all >= req.start
    if req.end is not None:
        seen &= t_all < req.end
    out: dict[tuple[int, str], UnitSteps] = {}
    for b in np.unique(number[seen]).tolist():
        masks_b = masks.copy()
        masks_b[0] &= number == b
        u, rows, st = _run(log, masks_b, req)
        out[(b, label(b))] = UnitSteps.of(log, u, _open(log, u, rows, st, req))
    return out


def _by_group(units: UnitSteps, group: np.ndarray) -> dict[str, UnitSteps]:
    """The units of each group value (``group[u]`` is unit ``u``'s value), by value."""
    if not len(group):  # no units (np.split would still give one empty piece)
        return {}
    # One sort by group, then each group's units are a slice (not a scan per group).
    names, inverse = factorize(group.astype(str, copy=False))
    by_group = np.argsort(inverse, kind="stable")
    cuts = np.cumsum(np.bincount(inverse, minlength=len(names)))[:-1]
    return {
        g: units[members]
        for g, members in zip(names.tolist(), np.split(by_group, cuts), strict=True)
    }


def _step_masks(log: EventLog, steps: Sequence[Step]) -> npt.NDArray[np.bool_]:
    masks = np.zeros((len(steps), len(log)), dtype=bool)
    for i, s in enumerate(steps):
        masks[i] = step_mask(log, s, f"step {i + 1}")
    return masks


def _total(
    log: EventLog, masks: Callable[[], npt.NDArray[np.bool_]], req: _Request,
    tables: Tables | None, values: GroupValues | None, attribution: str,
) -> tuple[UnitSteps, dict[str, UnitSteps]]:  # fmt: skip
    """The total, and the groups of a breakdown by first_touch, last_touch or step n."""
    if values is not None and attribution.startswith("step_"):
        units, is_open, by_n = _step_n(log, masks(), req, values, int(attribution[5:]))
        total = UnitSteps.of(log, units, is_open)
        return total, _by_group(total, by_n)
    touch = values is not None and attribution in ("first_touch", "last_touch")
    got = _sorted_total(log, req, tables, values if touch else None, attribution)
    if got is not None:
        units, group = got
        total = UnitSteps.of(log, units, np.zeros(len(units.keys), dtype=bool))
        return total, ({} if group is None else _by_group(total, group))
    units, rows, st = _run(log, masks(), req, tables=tables)
    total = UnitSteps.of(log, units, _open(log, units, rows, st, req))
    if values is None or not touch:
        return total, {}
    return total, _by_group(total, _groups(log, units, rows, st, values, attribution))


def _sorted_total(
    log: EventLog, req: _Request, tables: Tables | None, values: GroupValues | None,
    attribution: str,
) -> tuple[eng.Units, np.ndarray | None] | None:  # fmt: skip
    """:func:`~.chunked.by_chunks` for the funnels it takes (names-only steps no event
    matches twice, ``ordered``, ``unordered`` or ``clickhouse`` without modes, no
    exclusions, start or end): the units and (``values``) their group; else ``None``."""
    plain_ch = req.order == "clickhouse" and not req.modes
    simple = req.order in ("ordered", "unordered") or plain_ch
    bounded = req.start is not None or req.end is not None
    if tables is None or int(tables[1].max()) > 1 or not simple or req.exclusions or bounded:
        return None
    run = eng.unordered_fast if req.order == "unordered" else eng.ordered_fast
    extra = None
    if values is not None:

        def extra(units: eng.Units, rows: I64, st: npt.NDArray[np.integer]) -> np.ndarray:
            return _groups(log, units, rows, st, values, attribution)

    t_all = log.time.view(np.int64)
    return by_chunks(log.entity, t_all, log.event, tables[0], req.k, req.window, run, extra)


def _period_text(period: Period) -> str:
    return str(period) if isinstance(period, str) else f"{period.total_seconds():g}s"


def unit_steps(log: EventLog, opts: FunnelOptions) -> UnitResults:
    """The per-unit results :func:`~salesfunnel.event_funnel` reduces, for ``opts``.

    Raises what :func:`~salesfunnel.event_funnel` raises for the same
    arguments, in the same order.
    """
    order, attribution, period = opts.order, opts.attribution, opts.period
    _check_options(log, opts.steps, opts.window, order, opts.modes, attribution)
    log = with_unit(log, opts.unit)
    values = None
    if opts.breakdown is not None:
        values = breakdown_values(log, columns_of(opts.breakdown, "breakdown"))
    k = len(opts.steps)
    labels = _unique([step_label(s) for s in opts.steps])
    # Names only: checked now, masks built when a path needs them (not the sorted one).
    tables = name_tables(log, opts.steps)
    built = [] if tables is not None else [_step_masks(log, opts.steps)]

    def masks() -> npt.NDArray[np.bool_]:
        if not built:
            built.append(_step_masks(log, opts.steps))
        return built[0]

    zone = zone_argument(opts.tz)
    t0, t1 = parse_instant(opts.start, "start", zone), parse_instant(opts.end, "end", zone)
    if t0 is not None and t1 is not None and t1 <= t0:
        msg = f"end must be after start (got start={opts.start!r}, end={opts.end!r})"
        raise FunnelDataError(msg, column="end", value=opts.end)
    excl = _exclusions(log, opts.exclusions, k, order)
    req = _Request(k, opts.window.total_seconds(), order, excl, t0, t1, tuple(opts.modes))
    options: dict[str, object] = {
        "order": order,
        "window": opts.window,
        "attribution": attribution,
        "breakdown": opts.breakdown,
        "start": None if t0 is None else str(np.datetime64(t0, "s")),
        "end": None if t1 is None else str(np.datetime64(t1, "s")),
        "modes": tuple(opts.modes),
        "unit": opts.unit,
    }
    if zone is not None:
        options["tz"] = str(zone)
    trend: dict[tuple[int, str], UnitSteps] = {}
    if period is not None:
        if order == "unordered":
            msg = "period is not supported with order='unordered' (no step 1 to date a chain by)"
            raise FunnelDataError(msg, column="period", value=period)
        trend = _trend(log, masks(), req, period, zone)
    total, by = _total(log, masks, req, tables, values, attribution)
    if values is not None and attribution == "all_events":
        for g in values.groups(NO_VALUE_GROUP):
            u, r, matched = _run(log, masks(), req, values.in_group(g, NO_VALUE_GROUP))
            by[g] = UnitSteps.of(log, u, _open(log, u, r, matched, req))
    text = None if period is None else _period_text(period)
    return UnitResults(labels, options, total, by, trend, text)
