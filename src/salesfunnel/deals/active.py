"""Deals open at a moment: the active funnel, the forecast and the stalled deals.

Each looks at a snapshot: a deal's stage at ``as_of`` is the label of its
last event at or before ``as_of`` (the shared rules are in
:mod:`salesfunnel.deals.shared`). A snapshot is not a period, so snapshots do
not add up over time; per-owner snapshots add up to the team's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, overload

import numpy as np

from .._format import fmt_count, fmt_number, json_number
from .._numbers import real_number
from .._table import Cell, ResultTable, TableView
from ..errors import FunnelDataError
from ..funnel.later import Later
from ..funnel.model import Funnel, Stage
from .groups import GroupBy, grouping
from .idlookup import ids_at, ids_part
from .log import DealLog
from .pipeline import Pipeline
from .shared import (
    F64,
    I64,
    B,
    Instant,
    amount_scale,
    dumps,
    iso,
    keyword_options,
    segments,
    stage_total,
)
from .snapdeals import SnapDeals, snap_deals

__all__ = [
    "ActiveFunnel",
    "Forecast",
    "active_funnel",
    "active_funnels",
    "forecast",
    "forecasts",
]

Method = Literal["historical", "weighted"]


@dataclass(frozen=True, slots=True)
class ActiveFunnel(TableView):
    """The open deals at a moment, counted at their current stage.

    Attributes
    ----------
    funnel
        One stage per open stage; ``data`` holds the deal ids, ``amount`` the
        sum of their known amounts (``None`` without an amount column, or when
        none of the stage's deals has one).
    name, as_of
        The owner (or ``None``) and the snapshot time (ISO, ``None`` = after
        every event).
    open_deals, won, lost, frozen
        Deals by their state at ``as_of``; together they are every deal with
        an event at or before ``as_of`` (``started``).
    amount_unknown
        Open deals without a known amount.
    unknown_time_deals
        Deals left out because an undated event may fall on either side of
        ``as_of``.
    """

    funnel: Funnel
    name: str | None
    as_of: str | None
    open_deals: int
    won: int
    lost: int
    frozen: int
    amount_unknown: int
    unknown_time_deals: int

    @property
    def started(self) -> int:
        """Deals with at least one event at or before ``as_of``."""
        return self.open_deals + self.won + self.lost + self.frozen

    @property
    def table(self) -> ResultTable:
        """Per open stage: deals and amount."""
        rows = tuple((s.name, int(s.count), s.amount) for s in self.funnel.stages)
        return ResultTable(self.name or "open deals", ("stage", "deals", "amount"), rows)

    def to_json(self, *, indent: int | None = None) -> str:
        """Summary and stages as strict JSON."""
        payload = {
            "name": self.name,
            "as_of": self.as_of,
            "open_deals": self.open_deals,
            "won": self.won,
            "lost": self.lost,
            "frozen": self.frozen,
            "amount_unknown": self.amount_unknown,
            "unknown_time_deals": self.unknown_time_deals,
            "stages": self.to_records(),
        }
        return dumps(payload, indent)

    def __str__(self) -> str:
        when = self.as_of or "the end"
        return f"{self.table}\n{fmt_count(self.open_deals, 'open deal')} as of {when}"

    def __repr__(self) -> str:
        fields = ("name", "as_of", "open_deals", "won", "lost", "frozen")
        return "ActiveFunnel(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in fields) + ")"


def _open_stages(
    pipe: Pipeline, runs: I64, ids: Later, amounts: F64 | None, scale: float
) -> tuple[list[Stage], int]:
    """One group's open stages (deals ``runs[j]:runs[j + 1]``) and its deals without amount."""
    stages = []
    unknown_amount = 0
    for j, label in enumerate(pipe.stages):
        a, b = int(runs[j]), int(runs[j + 1])
        amount = None
        if amounts is not None:
            seg = amounts[a:b]
            missing = int(np.isnan(seg).sum())
            unknown_amount += missing
            # A stage whose open deals all lack an amount has an unknown amount, not 0.
            if not (seg.size and missing == seg.size):
                amount = stage_total(float(np.nansum(seg)), scale)
        stages.append(Stage(label, b - a, amount, Later(partial(ids_part, ids, slice(a, b)))))
    return stages, unknown_amount


@overload
def active_funnel(
    log: DealLog, pipeline: Pipeline | None = None, *, as_of: Instant = None, by: None = None
) -> ActiveFunnel: ...
@overload
def active_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    as_of: Instant = None,
    by: str | list[str] | tuple[str, ...],
) -> dict[Any, ActiveFunnel]: ...
@keyword_options("as_of", "by")
def active_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    as_of: Instant = None,
    by: GroupBy = None,
) -> ActiveFunnel | dict[Any, ActiveFunnel]:
    """The open deals at ``as_of``, counted at their current stage.

    A deal is open at ``as_of`` when its last event at or before ``as_of`` is
    an open stage (not won, lost or frozen). ``as_of=None`` looks after every
    event, including undated ones. ``by=None`` gives one result;
    ``by="owner"`` a dict of one result per owner of the log (the rule of
    every analysis, see "Calling convention" in the Deal history docs).

    Examples
    --------
    >>> p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    >>> rows = [("A", "Call", "2024-01-01"), ("A", "Offer", "2024-01-03"),
    ...         ("A", "Won", "2024-01-10"), ("B", "Call", "2024-01-02")]
    >>> log = DealLog.from_records([dict(zip(("deal", "stage", "time"), r)) for r in rows], p)
    >>> active_funnel(log, as_of="2024-01-03").funnel.counts  # A's Offer at 01-03 counts
    array([1., 1.])
    >>> active_funnel(log, as_of="2024-01-10").funnel["Call"].data.tolist()
    ['B']
    """
    gb = grouping(log, by)
    return gb.result(active_funnels(snap_deals(gb.log, pipeline, as_of, gb.by)))


def active_funnels(d: SnapDeals) -> list[ActiveFunnel]:
    """One :class:`ActiveFunnel` per group of the deals ``d`` (see :func:`active_funnel`)."""
    pipe, k, n_groups = d.pipe, d.pipe.n_stages, len(d.names)
    o_idx = np.flatnonzero(d.last < k)
    key = d.group[o_idx] * k + d.last[o_idx]
    order = np.argsort(key, kind="stable")
    bounds = segments(key, n_groups * k)
    ids = Later(partial(ids_at, d.ids, o_idx[order]))  # read when a stage's data is
    amounts, scale = None, 1.0
    if d.amount is not None:
        amounts = d.amount[o_idx][order]
        scale = amount_scale(amounts)
        if scale != 1.0:
            amounts /= scale

    def per_group(mask: B) -> I64:
        return np.bincount(d.group[mask], minlength=n_groups)

    n_won = per_group(d.last == pipe.won_code)
    n_lost = per_group(d.last == pipe.lost_code)
    n_frozen = per_group(d.last == pipe.frozen_code) if pipe.frozen_code is not None else None
    out = []
    for g, name in enumerate(d.names):
        runs = bounds[g * k : (g + 1) * k + 1]
        stages, unknown_amount = _open_stages(pipe, runs, ids, amounts, scale)
        funnel = Funnel(tuple(stages), name)
        out.append(
            ActiveFunnel(
                funnel=funnel,
                name=name,
                as_of=iso(d.t),
                open_deals=int(funnel.counts.sum()),
                won=int(n_won[g]),
                lost=int(n_lost[g]),
                frozen=0 if n_frozen is None else int(n_frozen[g]),
                amount_unknown=unknown_amount,
                unknown_time_deals=int(d.unknown[g]),
            )
        )
    return out


# -- forecast -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Forecast(TableView):
    """Expected won deals and amount from the deals open at ``as_of``.

    ``table`` has one row per open stage: ``stage``, ``open_deals``,
    ``amount`` (sum of the known amounts), ``amount_unknown`` (open deals
    without one), ``probability``, ``expected_won`` and ``expected_amount``.
    A stage whose open deals all lack an amount has ``amount`` and
    ``expected_amount`` ``None`` (unknown, not 0); so has every stage when the
    log has no amount column.

    ``expected_amount`` sums probability times amount over the open deals
    with a known amount; ``amount_unknown`` counts the open deals left out of
    that sum for want of an amount, so a partial sum is visible as such. It
    is NaN (undefined) when the log has no amount column or when there are
    open deals and none of them has a known amount; with no open deals it is
    0. ``amount_unknown`` is 0 when the log has no amount column.

    A stage with open deals but no probability (no closed deal ever reached
    it) makes both totals NaN: an honest "cannot say" rather than a silent
    zero.
    """

    name: str | None
    as_of: str | None
    method: Literal["historical", "weighted"]
    table: ResultTable
    expected_won: float
    expected_amount: float
    amount_unknown: int
    trained_on: int

    def to_json(self, *, indent: int | None = None) -> str:
        """Totals and stages as strict JSON."""
        payload = {
            "name": self.name,
            "as_of": self.as_of,
            "method": self.method,
            "expected_won": json_number(self.expected_won),
            "expected_amount": json_number(self.expected_amount),
            "amount_unknown": self.amount_unknown,
            "trained_on": self.trained_on,
            "stages": self.to_records(),
        }
        return dumps(payload, indent)

    def __str__(self) -> str:
        u = self.amount_unknown
        note = f" ({fmt_count(u, 'open deal')} without an amount)" if u else ""
        return (
            f"{self.table}\nexpected won: {fmt_number(self.expected_won)}, "
            f"expected amount: {fmt_number(self.expected_amount)}{note}"
        )

    def __repr__(self) -> str:
        return (
            f"Forecast(name={self.name!r}, method={self.method!r}, "
            f"expected_won={self.expected_won!r}, expected_amount={self.expected_amount!r}, "
            f"amount_unknown={self.amount_unknown})"
        )


def _probabilities(
    snap: SnapDeals, method: str, probabilities: Mapping[str, float] | None
) -> tuple[F64, int]:
    pipe, k = snap.pipe, snap.pipe.n_stages
    if method == "weighted":
        if probabilities is None:
            raise FunnelDataError("method='weighted' needs probabilities={stage: p}")
        unknown = [s for s in probabilities if s not in pipe.stages]
        if unknown:
            msg = f"probabilities name {unknown[0]!r}, not an open stage of {pipe.stages!r}"
            raise FunnelDataError(msg)
        missing = [s for s in pipe.stages if s not in probabilities]
        if missing:
            msg = f"probabilities lack the stage {missing[0]!r} (every open stage needs one)"
            raise FunnelDataError(msg)
        # real_number: a bool or a text ("0.5"), which numpy would convert, is None -> NaN.
        p = np.array([real_number(probabilities[s]) for s in pipe.stages], dtype=np.float64)
        bad = np.flatnonzero(~((p >= 0) & (p <= 1)))
        if bad.size:
            s, value = pipe.stages[int(bad[0])], probabilities[pipe.stages[int(bad[0])]]
            msg = f"probability of {s!r} must be in [0, 1] (got {value!r})"
            raise FunnelDataError(msg, column="probabilities", value=value)
        return p, 0
    if method != "historical":
        msg = f"method must be 'historical' or 'weighted' (got {method!r})"
        raise FunnelDataError(msg)
    if probabilities is not None:
        raise FunnelDataError("probabilities are only used with method='weighted'")
    last = snap.last
    won = last == pipe.won_code
    closed = won | (last == pipe.lost_code)
    reach = np.where(won, k, snap.reach)[closed]
    reached = np.cumsum(np.bincount(reach + 1, minlength=k + 2)[::-1])[::-1][1 : k + 1]
    p = np.full(k, np.nan)
    np.divide(float(won.sum()), reached, out=p, where=reached > 0)
    return p, int(closed.sum())


_FORECAST_COLUMNS = (
    "stage",
    "open_deals",
    "amount",
    "amount_unknown",
    "probability",
    "expected_won",
    "expected_amount",
)


def _open_amounts(
    snap: SnapDeals, is_open: B, key: I64, shape: tuple[int, int]
) -> tuple[F64, I64, float]:
    """Per (group, stage): scaled sum of the open deals' known amounts, deals without one, scale."""
    size = shape[0] * shape[1]
    if snap.amount is None:
        return np.zeros(shape), np.zeros(shape, dtype=np.int64), 1.0
    a = snap.amount[is_open]
    known = ~np.isnan(a)
    scale = amount_scale(a)  # no overflow in the sums; inf only where a total is
    amt_sum = np.bincount(key[known], weights=a[known] / scale, minlength=size).astype(np.float64)
    unknown: I64 = np.bincount(key[~known], minlength=size).astype(np.int64)
    return amt_sum.reshape(shape), unknown.reshape(shape), scale


def _forecast_rows(
    pipe: Pipeline,
    prob: F64,
    n_open: I64,
    amt_sum: F64,
    amt_unknown: I64,
    has_amount: bool,
    scale: float,
) -> tuple[list[tuple[Cell, ...]], float, float]:
    """One group's table rows, expected won and expected amount (scaled, see amount_scale)."""
    rows: list[tuple[Cell, ...]] = []
    total_won = 0.0
    total_amount = 0.0
    for j, label in enumerate(pipe.stages):
        n = int(n_open[j])
        missing = int(amt_unknown[j])
        pj = float(prob[j])
        exp_won = n * pj if n else 0.0
        total_won += exp_won
        # A stage whose open deals all lack an amount has an unknown amount, not 0.
        amount: float | None = None
        exp_amt: float | None = None
        if has_amount and not (n and missing == n):
            # Scaled sums times the scale: inf only where the true total is.
            scaled = float(amt_sum[j])
            amount = scaled * scale
            exp_amt = scaled * pj * scale if n else 0.0
            total_amount += scaled * pj if n else 0.0
        rows.append((label, n, amount, missing, pj, exp_won, exp_amt))
    return rows, total_won, total_amount


@overload
def forecast(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    as_of: Instant = None,
    by: None = None,
    method: Method = "historical",
    probabilities: Mapping[str, float] | None = None,
) -> Forecast: ...
@overload
def forecast(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    as_of: Instant = None,
    by: str | list[str] | tuple[str, ...],
    method: Method = "historical",
    probabilities: Mapping[str, float] | None = None,
) -> dict[Any, Forecast]: ...
@keyword_options("as_of", "method", "probabilities", "by")
def forecast(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    as_of: Instant = None,
    by: GroupBy = None,
    method: Method = "historical",
    probabilities: Mapping[str, float] | None = None,
) -> Forecast | dict[Any, Forecast]:
    """Expected won deals and amount from the open deals at ``as_of``.

    ``historical``: the probability of a deal open at stage s is
    P(won | reached s) among the deals closed at ``as_of``, with cumulative
    reach: won deals / closed deals that reached s or beyond. ``weighted``:
    the caller's ``probabilities`` (one per open stage, in [0, 1]).
    With ``by="owner"`` (a dict of one result per owner, the rule of every
    analysis) each owner's open deals are weighted with the team's
    probabilities (per-owner histories are usually too short to learn from).

    The expected amount sums probability times amount over the open deals
    with a known amount, and the result's ``amount_unknown`` counts the open
    deals left out for want of one. When no open deal has a known amount (or
    the log has no amount column) the expected amount is NaN, not 0.

    Examples
    --------
    >>> p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    >>> rows = [("A", "Call", "2024-01-01"), ("A", "Won", "2024-01-10", 100),
    ...         ("B", "Call", "2024-01-01"), ("B", "Lost", "2024-01-04"),
    ...         ("C", "Call", "2024-01-05", 40), ("D", "Offer", "2024-01-06", 60)]
    >>> recs = [dict(zip(("deal", "stage", "time", "amount"), r)) for r in rows]
    >>> log = DealLog.from_records(recs, p, amount="amount")
    >>> fc = forecast(log, as_of="2024-01-31")
    >>> fc.table.column("probability"), fc.expected_won, fc.expected_amount
    ([0.5, 1.0], 1.5, 80.0)

    Without D's amount only C's 40 is weighed; without C's too, nothing is:

    >>> no_d = [dict(r, amount=None) if r["deal"] == "D" else r for r in recs]
    >>> fc = forecast(DealLog.from_records(no_d, p, amount="amount"), as_of="2024-01-31")
    >>> fc.expected_amount, fc.amount_unknown
    (20.0, 1)
    >>> neither = [dict(r, amount=None) if r["deal"] in ("C", "D") else r for r in recs]
    >>> fc = forecast(DealLog.from_records(neither, p, amount="amount"), as_of="2024-01-31")
    >>> fc.expected_amount, fc.amount_unknown
    (nan, 2)
    """
    gb = grouping(log, by)
    return gb.result(forecasts(snap_deals(gb.log, pipeline, as_of, gb.by), method, probabilities))


def forecasts(
    snap: SnapDeals, method: Method, probabilities: Mapping[str, float] | None
) -> list[Forecast]:
    """One :class:`Forecast` per group of the deals ``snap`` (see :func:`forecast`)."""
    prob, trained = _probabilities(snap, method, probabilities)
    k = snap.pipe.n_stages
    is_open = snap.last < k
    n_groups = len(snap.names)
    key = snap.group[is_open] * k + snap.last[is_open]
    n_open = np.bincount(key, minlength=n_groups * k).reshape(n_groups, k)
    amt_sum, amt_unknown, scale = _open_amounts(snap, is_open, key, (n_groups, k))
    out = []
    has_amount = snap.amount is not None
    for g, name in enumerate(snap.names):
        rows, total_won, total_amount = _forecast_rows(
            snap.pipe, prob, n_open[g], amt_sum[g], amt_unknown[g], has_amount, scale
        )
        n_total, n_unknown = int(n_open[g].sum()), int(amt_unknown[g].sum())
        # NaN without amounts, when every open deal lacks one, or (as expected_won)
        # when open deals sit at a stage without a probability.
        undefined = not has_amount or (n_total > 0 and n_unknown == n_total)
        undefined = undefined or math.isnan(total_won)
        out.append(
            Forecast(
                name=name,
                as_of=iso(snap.t),
                method=method,
                table=ResultTable(name or "forecast", _FORECAST_COLUMNS, tuple(rows)),
                expected_won=total_won,
                expected_amount=math.nan if undefined else total_amount * scale,
                amount_unknown=n_unknown,
                trained_on=trained,
            )
        )
    return out
