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
  ``step_<n>`` (2.6): step ``n`` only matches events carrying the value, so a
  chain advances past step ``n`` only with it; each value's funnel is run and
  a unit goes to the value of its step-``n`` events that takes it furthest
  (ties: the value seen first), units without a step-``n`` event to
  ``"(none)"``. The total is the sum of the groups.
* **Unit, breakdown columns, periods**: see :mod:`salesfunnel.events.grouping`.
* **Trend** (``period=``, 2.10): per period in which a step-1 event falls,
  the funnel in which step 1 matches only that period's step-1 events (later
  steps may fall after the period, inside the window): a unit counts in every
  period it entered in, with its furthest step from chains begun there.
  Days, weeks and months are UTC's, or the calendar of ``tz=`` (PostHog and
  Mixpanel cut trends in the project's zone); see :mod:`salesfunnel._calendar`.
* **ClickHouse** (``order="clickhouse"``, ``modes=``): ``windowFunnel``'s
  levels, rules in :mod:`salesfunnel.events.clickhouse`.
* **Start and end**: ``start <= t < end``; events outside are not seen, so a chain
  begun before ``start`` does not count. A unit not complete whose latest
  step-1 event (any step event, unordered) is less than ``W`` before ``end``
  may still convert: it is counted at its furthest step and reported in
  :attr:`EventFunnel.open_counts` (right-censored), not as a failure.

Engines (see :mod:`salesfunnel.events.engine`): ``ordered`` and ``strict``
run vectorised, exclusions included, except for the units that hold an
event matching two steps or an event that is both a step and an exclusion
event (and, under ``strict``, a time holding events of different kinds):
those run a plain loop per unit, slower but the same rules. ``unordered``
runs vectorised (its steps must not overlap); ``clickhouse`` without modes
takes the ordered path when no event matches two steps (it keeps the latest
start at each level too, so the levels are the same), and with modes or
overlapping steps the loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

import numpy as np

from ..deals.idlookup import ids_part
from ..deals.shared import Instant
from ..funnel.later import Later
from ..funnel.model import Funnel, Stage
from .grouping import NO_VALUE_GROUP, Period
from .log import EventLog
from .result import EventFunnel
from .steps import Step
from .units import FunnelOptions, Order, UnitResults, UnitSteps, unit_steps

__all__ = ["NO_VALUE_GROUP", "EventFunnel", "event_funnel"]


def _assemble(res: UnitResults, units: UnitSteps, name: str | None, **extra: object) -> EventFunnel:
    """The funnel of ``units``: per step the units there, open counts, times between steps."""
    reached, ids, times, is_open = units.reached, units.ids, units.times, units.is_open
    stages, opens = [], []
    medians: list[float | None] = [None]
    means: list[float | None] = [None]
    timed = res.options["order"] in ("ordered", "strict")
    any_open = bool(is_open.any())
    # Each step's ids are made when first read (text ids cost a Python string each):
    # every unit's id once, then each step's gathered from them.
    every = Later(ids.all)
    for j, label in enumerate(res.labels):
        at = np.flatnonzero(reached >= j + 1)  # positions: faster to gather by than a mask
        stages.append(Stage(label, len(at), data=Later(partial(ids_part, every, at))))
        opens.append(int((is_open & (reached == j + 1)).sum()) if any_open else 0)
        if j:
            ok = timed and len(at) > 0
            d = (times[at, j] - times[at, j - 1]).astype(np.float64) if ok else None
            medians.append(float(np.median(d)) if d is not None else None)
            means.append(float(d.mean()) if d is not None else None)
    return EventFunnel(
        funnel=Funnel(tuple(stages), name=name),
        steps=tuple(res.labels),
        counts=tuple(int(s.count) for s in stages),
        median_s=tuple(medians),
        mean_s=tuple(means),
        open_counts=tuple(opens),
        excluded=int((reached == -1).sum()),
        name=name,
        **{**res.options, **extra},  # type: ignore[arg-type]
    )


def event_funnel(
    log: EventLog,
    steps: Sequence[Step],
    *,
    window: dt.timedelta,
    order: Order = "ordered",
    modes: Sequence[str] = (),
    exclusions: Sequence[tuple[Step, int, int]] = (),
    unit: str | tuple[str, ...] | None = None,
    breakdown: str | tuple[str, ...] | None = None,
    attribution: str = "first_touch",
    start: Instant = None,
    end: Instant = None,
    period: Period | None = None,
    tz: object = None,
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
        other event of the unit may), ``'unordered'``, or ``'clickhouse'``
        (ClickHouse ``windowFunnel``'s levels, with ``modes``).
    modes
        With ``order='clickhouse'``: any of ``'strict_order'``,
        ``'strict_deduplication'``, ``'strict_increase'``, ``'strict_once'``,
        ``'allow_reentry'`` (:mod:`salesfunnel.events.clickhouse`).
    exclusions
        ``(step, i, j)``: units that did ``step`` between reaching step ``i``
        and step ``j`` (1-based) are removed from the funnel.
    unit
        What is counted: the log's entity column (default), or another
        column or tuple of columns (``("user", "session")``); see
        :mod:`salesfunnel.events.grouping`.
    breakdown, attribution
        A property (or tuple of properties) to group units by, taken from
        their first (``'first_touch'``) or last (``'last_touch'``) step event
        with a value, from the event that filled step ``n`` (``'step_<n>'``),
        or (``'all_events'``) a funnel per value on that value's events only.
    start, end
        Only events with ``start <= time < end`` are seen; ``end`` also marks
        the units still inside their window (:attr:`EventFunnel.open_counts`).
    period
        ``'D'``, ``'W'``, ``'M'`` or a ``timedelta``: also the funnel of the
        chains begun in each period (:attr:`EventFunnel.trend`).
    tz
        The zone whose calendar cuts the days, weeks and months of ``period``
        (an IANA name such as ``'America/New_York'``, or a ``tzinfo``), as
        PostHog and Mixpanel cut them in the project's zone; also the zone of
        a ``start``/``end`` given without a UTC offset. Default: UTC. A
        ``timedelta`` period is a length of time, the same in every zone.

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
    opts = FunnelOptions(steps, window, order, modes, exclusions, unit, breakdown, attribution,
                         start, end, period, tz)  # fmt: skip
    res = unit_steps(log, opts)
    trend = {label: _assemble(res, u, label) for (_, label), u in res.trend.items()}
    by = {g: _assemble(res, u, g) for g, u in res.by.items()}
    extra: dict[str, object] = {"period": res.period, "trend": trend} if res.period else {}
    return _assemble(res, res.total, None, by=by, **extra)
