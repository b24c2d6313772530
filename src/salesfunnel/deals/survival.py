"""Survival estimates on plain arrays: Kaplan-Meier and cumulative incidence.

Conventions, as in the textbooks (e.g. Kleinbaum & Klein, *Survival Analysis*):

* one row per distinct event time, preceded by a row at time 0 that holds the
  events at exactly 0 and the censorings before the first event time;
* at a time ``t`` with both events and censorings, the events come first: a
  subject censored at ``t`` is still at risk at ``t``;
* ``censored`` on a row counts the censorings from that row's time up to (not
  including) the next row's time, so ``events.sum() + censored.sum()`` is the
  number of subjects;
* the median is where the curve crosses 0.5: the smallest time at which the
  survival falls below 0.5, except where the curve is flat at exactly 0.5
  (within ``sqrt(machine epsilon)``, so that ``6/12`` reached through a product
  of factors still counts): then it is the midpoint of that flat stretch, from
  its start to the next drop, or to the largest duration when no drop follows.
  This is the rule of R's ``survival`` package (``quantile.survfit``: "the
  midpoint of the horizontal segment is returned. This mirrors the standard
  behavior of the median when data is uncensored") and of SAS ``PROC
  LIFETEST``: with no censoring the median is the sample median (``np.median``)
  of the durations. It is NaN when the curve never gets to 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from .._format import json_number
from .._table import ResultTable, TableView
from ..errors import FunnelDataError
from .shared import bincount

__all__ = ["SurvivalCurve", "cumulative_incidence", "kaplan_meier"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


_DAY = 86_400.0
T = TypeVar("T")
_IN_PLACE = True  # the curve's arithmetic in place when every row has someone at risk (tests)
_SECONDS = True  # curves of whole seconds found on the integers (tests turn it off to compare)


class PerGroup(Protocol):
    """Runs ``task(g)`` for every group (maybe on threads: ``n`` deals say how many)."""

    def __call__(self, task: Callable[[int], T], n_groups: int, n: int) -> list[T]: ...


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class SurvivalCurve(TableView):
    """A step curve ``survival[i]`` from ``time[i]`` until the next row's time.

    For Kaplan-Meier, ``survival`` is the probability of no event by ``t``.
    For a cumulative incidence (competing risks), it is one minus the
    probability that *this* kind of event has happened by ``t``; ``competing``
    counts the other kind's events on each row.

    Attributes
    ----------
    method
        ``"kaplan-meier"`` or ``"aalen-johansen"``.
    time, at_risk, events, competing, censored, survival, std_error
        One entry per row (see the module notes). ``std_error`` is Greenwood's
        for Kaplan-Meier and NaN for cumulative incidence.
    median
        Smallest time with ``survival <= 0.5``; NaN if there is none.
    n
        Number of subjects.
    unknown_time
        Subjects left out because a time was unknown (deal logs only).
    """

    method: Literal["kaplan-meier", "aalen-johansen"]
    time: F64
    at_risk: I64
    events: I64
    competing: I64
    censored: I64
    survival: F64
    std_error: F64
    median: float
    n: int
    unknown_time: int = 0

    def __repr__(self) -> str:
        return (
            f"SurvivalCurve(method={self.method!r}, n={self.n}, rows={len(self.time)}, "
            f"median={self.median!r}, unknown_time={self.unknown_time})"
        )

    @property
    def table(self) -> ResultTable:
        """The curve as a table (one row per row of the curve)."""
        cols = ("time", "at_risk", "events", "competing", "censored", "survival", "std_error")
        rows = tuple(
            (
                float(self.time[i]),
                int(self.at_risk[i]),
                int(self.events[i]),
                int(self.competing[i]),
                int(self.censored[i]),
                float(self.survival[i]),
                float(self.std_error[i]),
            )
            for i in range(len(self.time))
        )
        return ResultTable(self.method, cols, rows)

    def to_json(self, *, indent: int | None = None) -> str:
        """The curve, median and counts as strict JSON."""
        import json

        payload = {
            "method": self.method,
            "n": self.n,
            "median": json_number(self.median),
            "unknown_time": self.unknown_time,
            "rows": self.to_records(),
        }
        return json.dumps(payload, indent=indent, allow_nan=False)


def _check(durations: object, observed: object) -> tuple[F64, npt.NDArray[np.bool_]]:
    t = np.asarray(durations, dtype=np.float64).reshape(-1)
    o = np.asarray(observed).reshape(-1)
    if t.shape != o.shape:
        msg = f"durations and observed must have equal lengths (got {t.size} and {o.size})"
        raise FunnelDataError(msg)
    bad = np.flatnonzero(~np.isfinite(t) | (t < 0))
    if bad.size:
        i = int(bad[0])
        msg = f"durations must be finite and >= 0 (got {t[i]!r} at position {i})"
        raise FunnelDataError(msg)
    if o.dtype != np.bool_:
        if not np.isin(o, (0, 1)).all():
            msg = "observed must hold booleans or 0/1"
            raise FunnelDataError(msg)
        o = o.astype(bool)
    return t, o


def _rows(t: F64, kind: npt.NDArray[np.integer]) -> tuple[F64, I64, I64, I64, I64]:
    """Row times and, per row, at risk, kind-1 events, kind-2 events, censorings.

    ``kind`` is 0 for censored, 1 for the event of interest, 2 for a competing
    event.
    """
    n = t.size
    # The cohort funnel hands its times over sorted: one O(n) check spares two sorts.
    ordered = bool((t[1:] >= t[:-1]).all())
    hit = t[kind > 0]
    if ordered:
        event_times = hit[np.concatenate(([True], hit[1:] != hit[:-1]))[: hit.size]]
    else:
        event_times = np.unique(hit)
    times = np.concatenate(([0.0], event_times[event_times > 0]))
    # Rows: each subject belongs to the last row whose time is <= its time.
    row = np.searchsorted(times, t, side="right") - 1
    ev1 = np.bincount(row[kind == 1], minlength=times.size)
    ev2 = np.bincount(row[kind == 2], minlength=times.size)
    # Events sit exactly at their row time; censorings anywhere in the row's span.
    cen = np.bincount(row[kind == 0], minlength=times.size)
    # At risk at a row time: subjects with time >= it. Censored at exactly t count.
    at_risk = n - np.searchsorted(t if ordered else np.sort(t), times, side="left")
    return times, at_risk.astype(np.int64), ev1, ev2, cen


# R's quantile.survfit tolerance: sqrt(.Machine$double.eps).
_FLAT_TOL = math.sqrt(np.finfo(np.float64).eps)


def _median(times: np.ndarray, survival: np.ndarray, top: Callable[[], float]) -> float:
    """Where the step curve crosses 0.5 (module docstring); ``top()``: the largest duration."""
    reach = np.flatnonzero(survival <= 0.5 + _FLAT_TOL)
    if not reach.size:
        return math.nan
    i = int(reach[0])
    if abs(float(survival[i]) - 0.5) >= _FLAT_TOL:  # a jump across 0.5
        return float(times[i])
    drop = np.flatnonzero(survival[i:] < 0.5 - _FLAT_TOL)  # the end of the flat at 0.5
    end = float(times[i + int(drop[0])]) if drop.size else top()
    return (float(times[i]) + end) / 2.0


def kaplan_meier(durations: object, observed: object) -> SurvivalCurve:
    """Kaplan-Meier estimate of the survival function.

    Parameters
    ----------
    durations
        Time from start to event or censoring, finite and >= 0 (any unit).
    observed
        True where the event happened, False where the subject was censored.

    Returns
    -------
    SurvivalCurve
        Rows at time 0 and at each distinct event time; Greenwood standard
        errors (NaN once the survival reaches 0).

    Raises
    ------
    FunnelDataError
        Unequal lengths, negative or non-finite durations, non-boolean flags.

    Examples
    --------
    Events before censorings at a tie: at t=2 one event and one censoring,
    so 3 are at risk and the survival drops to 2/3.

    >>> km = kaplan_meier([2, 2, 3, 5], [True, False, True, False])
    >>> km.time.tolist(), km.at_risk.tolist(), km.survival.round(4).tolist()
    ([0.0, 2.0, 3.0], [4, 4, 2], [1.0, 0.75, 0.375])
    >>> km.median
    3.0
    """
    t, o = _check(durations, observed)
    kind = o.astype(np.int64)
    times, at_risk, ev, _, cen = _rows(t, kind)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(at_risk > 0, 1.0 - ev / np.maximum(at_risk, 1), 1.0)
        survival = np.cumprod(step)
        denom = at_risk * (at_risk - ev)
        term = np.where(denom > 0, ev / np.where(denom > 0, denom, 1), np.inf)
        term = np.where(ev == 0, 0.0, term)
        var_sum = np.cumsum(term)
        se = np.where(np.isfinite(var_sum), survival * np.sqrt(var_sum), np.nan)
    zeros = np.zeros(times.size, np.int64)
    return SurvivalCurve(
        "kaplan-meier",
        _readonly(times),
        _readonly(at_risk),
        _readonly(ev),
        _readonly(zeros),
        _readonly(cen),
        _readonly(survival),
        _readonly(se),
        _median(times, survival, lambda: float(t.max())),
        int(t.size),
    )


def cumulative_incidence(durations: object, event: object) -> SurvivalCurve:
    """Aalen-Johansen cumulative incidence of one event kind among competing kinds.

    Parameters
    ----------
    durations
        Time from start to the first event of any kind, or to censoring.
    event
        Per subject: 0 censored, 1 the event of interest, 2 a competing
        event (which ends the subject's risk of the event of interest).

    Returns
    -------
    SurvivalCurve
        ``survival`` is ``1 - CIF(t)``, where
        ``CIF(t) = sum over row times s <= t of S(s-) * d1(s) / n(s)`` and ``S``
        is the Kaplan-Meier survival from events of any kind. With no
        competing events it equals the Kaplan-Meier curve. It levels off at
        the overall share of subjects that ever have the event, so its median
        is NaN when that share is below one half.

    Examples
    --------
    Four deals: won at 1, lost at 2, won at 3, still open at 4.

    >>> ci = cumulative_incidence([1, 2, 3, 4], [1, 2, 1, 0])
    >>> (1 - ci.survival).round(4).tolist()
    [0.0, 0.25, 0.25, 0.5]
    >>> ci.median    # flat at exactly 0.5 from 3 to the last duration, 4: the midpoint
    3.5
    """
    t = np.asarray(durations, dtype=np.float64).reshape(-1)
    k = np.asarray(event).reshape(-1)
    if not np.isin(k, (0, 1, 2)).all():
        msg = "event must hold 0 (censored), 1 (event of interest) or 2 (competing)"
        raise FunnelDataError(msg)
    t, _ = _check(t, k > 0)
    return incidence_of_valid(t, k.astype(np.int64))


def incidence_of_valid(t: F64, kind: npt.NDArray[np.integer]) -> SurvivalCurve:
    """:func:`cumulative_incidence` of durations and kinds already known to be valid.

    For callers that built them (finite, >= 0; kinds 0, 1, 2): the checks,
    three passes over the data, are skipped. Same arithmetic, same result.
    """
    times, at_risk, ev1, ev2, cen = _rows(t, kind)
    return _incidence(times, at_risk, ev1, ev2, cen, lambda: float(t.max()), int(t.size))


def incidence_of_parts(hit: F64, hit_kind: npt.NDArray[np.integer], censored: F64) -> SurvivalCurve:
    """:func:`incidence_of_valid` of ``hit`` (kinds 1, 2) and ``censored`` (kind 0) together.

    ``hit`` must be in ascending order (ties in any order); ``censored`` in
    any order. Only the events need sorting: each censoring is put in its row
    by one search, and the number at risk at a row time is the subjects not
    before it, hits counted off their sorted run and censorings off a
    cumulative sum of their rows. The rows are those of :func:`_rows` on the
    whole sorted set, so the curve is the same, to the bit (tested).
    """
    return _of_parts(hit, hit_kind, censored, None)


def incidence_of_seconds(
    hit: npt.NDArray[np.unsignedinteger[Any]],
    hit_kind: npt.NDArray[np.integer],
    censored: npt.NDArray[np.integer],
) -> SurvivalCurve:
    """:func:`incidence_of_parts` of ``hit / 86400`` and ``censored / 86400``: whole
    seconds below 2**32 (``hit`` ascending, ``uint32``; ``censored`` any order, >= 0).

    The rows and the censorings' places are found on the integers and only the
    row times are divided: below 2**32 seconds, ``x / 86400.0`` is strictly
    increasing (the quotients of two integers differ by 1.2e-5 or more, their
    spacing as doubles is under 1e-11), so every comparison of the days is that
    of the seconds, and every value the same division: the same curve, to the
    bit (tested).
    """
    return _of_parts(hit, hit_kind, censored, _DAY)


def _of_parts(
    hit: np.ndarray, hit_kind: npt.NDArray[np.integer], censored: np.ndarray, scale: float | None
) -> SurvivalCurve:
    """:func:`incidence_of_parts` (``scale`` ``None``) or :func:`incidence_of_seconds`."""
    n_hit = hit.size
    new = np.ones(n_hit, dtype=bool)
    np.not_equal(hit[1:], hit[:-1], out=new[1:])
    starts = np.flatnonzero(new)  # per distinct event time, its first hit
    off = 0 if n_hit and hit[0] == 0 else 1  # row 0 (time 0) holds the hits at 0, if any
    keys = np.zeros(starts.size + off, dtype=np.float64 if scale is None else np.int64)
    keys[off:] = hit[starts]  # the row times (seconds, when scaled)
    times = np.asarray(keys if scale is None else keys / scale, dtype=np.float64)  # no copy
    ev1 = np.zeros(times.size, dtype=np.int64)
    ev2 = np.zeros(times.size, dtype=np.int64)
    if n_hit:
        ones = np.add.reduceat(hit_kind == 1, starts, dtype=np.int64)
        ev1[off:] = ones
        ev2[off:] = np.diff(starts, append=n_hit) - ones
    # A censoring at or after the last row time is in the last row: only the others
    # are searched (open deals often last longer than the closed ones took).
    near = censored[censored < keys[-1]]
    row = np.searchsorted(keys, near, side="right")
    row -= 1
    cen = np.bincount(row, minlength=times.size)
    cen[-1] += censored.size - near.size
    del row, near
    below = np.zeros(times.size, dtype=np.int64)  # subjects before each row's time
    below[off:] = starts
    below[1:] += np.cumsum(cen[:-1])
    at_risk = hit.size + censored.size - below

    def top() -> float:
        last = max(keys[-1].item(), censored.max(initial=0).item())
        return float(last) if scale is None else last / scale

    return _incidence(times, at_risk, ev1, ev2, cen, top, n_hit + censored.size)


def _incidence(
    times: F64, at_risk: I64, ev1: I64, ev2: I64, cen: I64, top: Callable[[], float], n: int
) -> SurvivalCurve:
    """The Aalen-Johansen curve of its rows (see :func:`cumulative_incidence`).

    Rows with nobody at risk (only with no subject at all) take a step of
    nothing; with someone at risk on every row, the same operations run in
    place, with no ``where`` (the same values, fewer passes over the rows).
    """
    if _IN_PLACE and at_risk.size and at_risk.min() > 0:
        step = np.true_divide(ev1 + ev2, at_risk)
        surv_all = np.subtract(1.0, step, out=step)
        np.cumprod(surv_all, out=surv_all)
        before = np.empty(times.size)
        before[0] = 1.0
        before[1:] = surv_all[:-1]
        del surv_all, step
        cif = np.true_divide(ev1, at_risk)
        cif *= before
        np.cumsum(cif, out=cif)
        survival = np.subtract(1.0, cif, out=cif)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            risk = np.maximum(at_risk, 1)
            step_all = np.where(at_risk > 0, 1.0 - (ev1 + ev2) / risk, 1.0)
            surv_all = np.cumprod(step_all)
            before = np.concatenate(([1.0], surv_all[:-1]))
            cif = np.cumsum(before * np.where(at_risk > 0, ev1 / risk, 0.0))
        survival = 1.0 - cif
    return SurvivalCurve(
        "aalen-johansen",
        _readonly(times),
        _readonly(at_risk),
        _readonly(ev1),
        _readonly(ev2),
        _readonly(cen),
        _readonly(survival),
        _readonly(np.full(times.size, np.nan)),
        _median(times, survival, top),
        n,
    )


def split_incidence(
    group: npt.NDArray[np.integer],
    seconds: I64,
    kind: npt.NDArray[np.int8],
    n_groups: int,
    runs: tuple[I64, I64] | None,
    per_group: PerGroup,
) -> tuple[list[SurvivalCurve], I64] | None:
    """Per group, the cumulative incidence of winning (kinds 1 won, 2 lost, 0 censored;
    ``seconds`` to the outcome or the censoring), with only the won and lost deals sorted,
    and the number of censored deals.

    A censored deal only needs its row of the curve (one search among the
    event times), so the sort is of the events alone: the won and lost deals
    are put in group order by a radix sort of their group, then each group's
    run of packed (seconds, kind) keys is sorted in place: 32 bits wide when
    the durations fit (about twice as fast as 64), and a run at a time, in
    cache. The censored deals are put in group order the same way. ``None``
    when the key does not fit in 62 bits.

    ``runs`` = ``(order, begin)``, when given, already lists the deals in
    group order (group g's from ``order[begin[g]]`` on; the cohort funnel's
    stage sets): each group's deals are then gathered and split inside its
    own task, on the worker threads, with no sort or gather of the whole
    cohort. A curve reads its events sorted and its censorings in any order,
    so it is the same either way (tested).
    """
    shift = int(max(int(seconds.max(initial=0)), 1)).bit_length() + 2
    if shift > 62:  # pragma: no cover - needs spans of billions of years
        return None
    dtype = np.uint32 if shift <= 32 else np.int64
    narrow = np.uint8 if n_groups <= 1 << 8 else np.uint16 if n_groups <= 1 << 16 else np.int64

    def in_group_order(
        g: npt.NDArray[np.integer], *values: np.ndarray
    ) -> tuple[I64, list[np.ndarray]]:
        bounds = np.zeros(n_groups + 1, dtype=np.int64)
        np.cumsum(bincount(g, n_groups), out=bounds[1:])
        if n_groups == 1:
            return bounds, list(values)
        order = np.argsort(g.astype(narrow), kind="stable")  # a radix sort up to 2**16 groups
        return bounds, [v[order] for v in values]

    if runs is not None:
        return _curves_of_runs(seconds, kind, n_groups, runs, dtype, per_group)
    hit = kind > 0
    key = seconds[hit].astype(dtype)  # every value fits: ``shift`` says so
    key <<= dtype(2)
    key |= kind[hit].astype(dtype)
    bounds, (key,) = in_group_order(group[hit], key)
    cens_bounds, (cens,) = in_group_order(group[~hit], seconds[~hit])

    def curve(g: int) -> SurvivalCurve:
        run = key[int(bounds[g]) : int(bounds[g + 1])]  # groups own disjoint runs
        run.sort()
        c = cens[int(cens_bounds[g]) : int(cens_bounds[g + 1])]
        return _curve_of_keys(run, c)

    return per_group(curve, n_groups, key.size + cens.size), np.diff(cens_bounds)


def _curve_of_keys(run: np.ndarray, censored: I64) -> SurvivalCurve:
    """The curve of sorted ``(seconds << 2 | kind)`` keys and the censorings' seconds: on
    the integers when the keys are 32 bits wide (:func:`incidence_of_seconds`)."""
    dtype = run.dtype.type
    kinds = run & dtype(3)
    if _SECONDS and dtype is np.uint32:
        return incidence_of_seconds(np.right_shift(run, dtype(2)), kinds, censored)
    return incidence_of_parts(np.right_shift(run, dtype(2)) / _DAY, kinds, censored / _DAY)


def _curves_of_runs(
    seconds: I64,
    kind: npt.NDArray[np.int8],
    n_groups: int,
    runs: tuple[I64, I64],
    dtype: type[np.unsignedinteger[Any]] | type[np.int64],
    per_group: PerGroup,
) -> tuple[list[SurvivalCurve], I64]:
    """:func:`split_incidence` of deals already in group order: each group's run on its own."""
    order, begin = runs
    ends = np.append(begin[1:], order.size).tolist()

    def curve(g: int) -> tuple[SurvivalCurve, int]:
        at = order[int(begin[g]) : ends[g]]
        kind_g, seconds_g = kind[at], seconds[at]
        hit = kind_g > 0
        run = seconds_g[hit].astype(dtype)  # every value fits: ``shift`` says so
        run <<= dtype(2)
        run |= kind_g[hit].astype(dtype)
        run.sort()
        c = seconds_g[~hit]
        return _curve_of_keys(run, c), c.size

    done = per_group(curve, n_groups, order.size)
    return [c for c, _ in done], np.array([m for _, m in done], dtype=np.int64)
