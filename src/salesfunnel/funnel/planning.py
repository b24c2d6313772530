"""Planning with a funnel run backwards: leads needed, feasible plans, headcount.

Rounding rule: counts of people and deals are whole, so every stage's need is
rounded **up** at that stage before the previous stage is computed::

    need[last] = ceil(target)
    need[i-1]  = ceil(need[i] / rate[i])

Rounding at each stage (rather than once at the top) guarantees that applying
the rates forwards to ``need[0]`` reaches at least ``target`` at every stage,
which is what a plan must promise. Quotients within ``1e-9`` of an integer are
taken as that integer, so float noise (``10 / 0.05``) never adds a lead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._format import fmt_number, fmt_percent, json_number
from .._numbers import real_number
from .._table import ResultTable, TableView
from ..errors import FunnelDataError
from .metrics import overall_conversion, step_conversion
from .model import _EXACT_INT, Funnel, SupportsFunnel, as_funnel, as_funnels

__all__ = [
    "LeadsPlan",
    "ManagerPlan",
    "TeamPlan",
    "feasible_plan",
    "leads_needed",
    "managers_needed",
]

_EPS = 1e-9


def _exact(count: float, what: str, given: object) -> float:
    """``count`` if a float holds it as an exact count (below 2**53), else an error:
    from there on the integer printed would be the float's binary digits."""
    if not count < _EXACT_INT:
        msg = (
            f"the plan has 2**53 or more {what}, more than a float counts exactly (from {given!r})"
        )
        raise FunnelDataError(msg, value=given)
    return count


def _ceil(x: float) -> int:
    nearest = round(x)
    return int(nearest) if abs(x - nearest) <= _EPS * max(1.0, abs(x)) else math.ceil(x)


def _check_number(value: object, what: str, *, zero: bool = False) -> float:
    """``value`` as a finite float > 0 (>= 0 with ``zero``), or an error naming ``what``."""
    number = real_number(value)
    if number is None:
        msg = f"{what} must be a number (got {value!r})"
        raise FunnelDataError(msg, column=what, value=value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not zero):
        msg = f"{what} must be a finite number {'>=' if zero else '>'} 0 (got {value!r})"
        raise FunnelDataError(msg, column=what, value=value)
    return number


@dataclass(frozen=True, slots=True)
class LeadsPlan(TableView):
    """How many entries each stage needs so the last stage reaches ``target``."""

    names: tuple[str, ...]
    needed: tuple[int, ...]
    rates: tuple[float, ...]
    target: float

    @property
    def leads(self) -> int:
        """Entries needed at the first stage."""
        return self.needed[0]

    @property
    def table(self) -> ResultTable:
        """Per stage: entries needed and the step conversion used to get there.

        >>> from salesfunnel import Funnel
        >>> plan = leads_needed(10, Funnel.from_counts({"Calls": 200, "Paid": 10}))
        >>> print(plan.table)
        leads needed for 10
        stage  needed  step_conversion
        -----  ------  ---------------
        Calls     200                —
        Paid       10             5.0%
        """
        rows = tuple(
            (n, k, None if i == 0 else self.rates[i - 1])
            for i, (n, k) in enumerate(zip(self.names, self.needed, strict=True))
        )
        return ResultTable(
            f"leads needed for {fmt_number(self.target)}",
            ("stage", "needed", "step_conversion"),
            rows,
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per stage: name, entries needed, step rate used."""
        return [
            {"name": n, "needed": k, "step_conversion": None if i == 0 else self.rates[i - 1]}
            for i, (n, k) in enumerate(zip(self.names, self.needed, strict=True))
        ]

    def to_json(self, *, indent: int | None = None) -> str:
        """Strict JSON of the plan."""
        payload = {"target": self.target, "stages": self.to_records()}
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    def __str__(self) -> str:
        width = max(len(n) for n in self.names)
        lines = [
            f"{n.ljust(width)}  {fmt_number(k):>10}"
            + ("" if i == 0 else f"  ({fmt_percent(self.rates[i - 1])} of previous)")
            for i, (n, k) in enumerate(zip(self.names, self.needed, strict=True))
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LeadsPlan(target={self.target!r}, leads={self.leads}, stages={len(self.names)})"

    def _repr_html_(self) -> str:
        return self.table._repr_html_()


def leads_needed(
    target: float,
    rates: SupportsFunnel | Sequence[float] | npt.NDArray[np.float64],
    names: Sequence[str] | None = None,
) -> LeadsPlan:
    """Entries each stage needs so the last stage reaches ``target``.

    Parameters
    ----------
    target
        Wanted count at the last stage (e.g. paid deals this month), > 0.
    rates
        Step conversions from each stage to the next (``k`` rates for ``k + 1``
        stages), or a :class:`Funnel` (or a result with a ``.funnel``, such as
        ``ClosedFunnel``) whose step conversions are used.
    names
        Stage names when ``rates`` is a plain sequence (default
        ``stage 0 .. stage k``).

    Returns
    -------
    LeadsPlan
        ``needed[0]`` is the number of leads to put into the funnel.

    Raises
    ------
    FunnelDataError
        A rate that is zero, negative, NaN or infinite (the plan would need
        infinitely many leads), a target <= 0, or names of the wrong length.

    Examples
    --------
    The seed's funnel converts 5 % of calls into paid deals; 30 paid deals
    need 600 calls:

    >>> leads_needed(30, [0.05]).leads
    600
    >>> f = Funnel.from_counts({"Calls": 200, "Meetings": 40, "Paid": 10})
    >>> leads_needed(25, f).needed
    (500, 100, 25)
    """
    if isinstance(getattr(target, "funnel", None), Funnel):
        msg = (
            "leads_needed takes the target first, then the funnel or rates: "
            f"leads_needed(target, funnel) (got a {type(target).__name__} as target)"
        )
        raise FunnelDataError(msg)
    target = _check_number(target, "target")
    if isinstance(getattr(rates, "funnel", None), Funnel):
        funnel = as_funnel(rates, "rates")
        step = step_conversion(funnel)[1:]
        stage_names = funnel.names
        for i, r in enumerate(step, start=1):
            if not (math.isfinite(r) and r > 0):
                msg = (
                    f"step conversion into stage {stage_names[i]!r} is {float(r)!r}; "
                    "a plan needs every rate > 0 (a zero or undefined rate means "
                    "no number of leads reaches the target)"
                )
                raise FunnelDataError(msg)
        rate_list = [float(r) for r in step]
    else:
        plain: Sequence[float] | npt.NDArray[np.float64] = rates  # type: ignore[assignment]
        rate_list = [
            _check_number(r, f"rates[{i}] (step into stage {i + 1})") for i, r in enumerate(plain)
        ]
        if names is None:
            stage_names = tuple(f"stage {i}" for i in range(len(rate_list) + 1))
        else:
            stage_names = tuple(names)
            if len(stage_names) != len(rate_list) + 1:
                msg = (
                    f"names must have one more entry than rates "
                    f"(got {len(stage_names)} names for {len(rate_list)} rates)"
                )
                raise FunnelDataError(msg)
    if target >= _EXACT_INT:
        msg = f"target must be below 2**53, where a float counts exactly (got {target!r})"
        raise FunnelDataError(msg, column="target", value=target)
    needed = [_ceil(target)]
    for i, r in zip(range(len(rate_list), 0, -1), reversed(rate_list), strict=True):
        try:
            need = needed[-1] / r
        except OverflowError:
            need = math.inf
        # From 2**53 on, neighbouring integers share one float: the count would print
        # the float's binary digits (1e300 leads as 1000...0525047602...).
        if not need < _EXACT_INT:
            msg = (
                f"the plan needs more entries at stage {stage_names[i - 1]!r} than a float "
                f"counts exactly, 2**53 (target {target!r}, step rate {r!r})"
            )
            raise FunnelDataError(msg, value=target)
        needed.append(_ceil(need))
    needed.reverse()
    return LeadsPlan(tuple(stage_names), tuple(needed), tuple(rate_list), target)


def managers_needed(leads: float, capacity_per_manager: float) -> int:
    """Salespeople needed to work ``leads`` entries when each handles ``capacity_per_manager``.

    Rounded up: a fraction of a salesperson is a whole hire.

    >>> managers_needed(600, 250)
    3
    """
    needed = _check_number(leads, "leads", zero=True)
    capacity = _check_number(capacity_per_manager, "capacity_per_manager")
    return _ceil(_exact(needed / capacity, "salespeople", leads))


@dataclass(frozen=True, slots=True)
class ManagerPlan:
    """What one manager can achieve per period with their own funnel."""

    manager: str
    capacity: float
    overall_conversion: float
    achievable: int
    average_amount: float | None
    achievable_amount: float | None


@dataclass(frozen=True, slots=True)
class TeamPlan(TableView):
    """Result of :func:`feasible_plan`: per-manager rows and the team total."""

    managers: tuple[ManagerPlan, ...]

    @property
    def achievable(self) -> int:
        """Closed deals the whole team can reach."""
        return sum(m.achievable for m in self.managers)

    @property
    def table(self) -> ResultTable:
        """Per manager: capacity, overall conversion and what is achievable."""
        rows = tuple(
            (
                m.manager,
                m.capacity,
                m.overall_conversion,
                m.achievable,
                m.average_amount,
                m.achievable_amount,
            )
            for m in self.managers
        )
        cols = (
            "manager",
            "capacity",
            "overall_conversion",
            "achievable",
            "average_amount",
            "achievable_amount",
        )
        return ResultTable(f"feasible plan: {fmt_number(self.achievable)} deals", cols, rows)

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per manager."""
        return [
            {
                "manager": m.manager,
                "capacity": m.capacity,
                "overall_conversion": json_number(m.overall_conversion),
                "achievable": m.achievable,
                "average_amount": json_number(m.average_amount),
                "achievable_amount": json_number(m.achievable_amount),
            }
            for m in self.managers
        ]

    def to_json(self, *, indent: int | None = None) -> str:
        """Strict JSON of the plan."""
        payload = {"achievable": self.achievable, "managers": self.to_records()}
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    def __str__(self) -> str:
        lines = [
            f"{m.manager}: {fmt_number(m.capacity)} leads x {fmt_percent(m.overall_conversion)}"
            f" -> {fmt_number(m.achievable)} deals"
            + (f" ({fmt_number(m.achievable_amount)})" if m.achievable_amount is not None else "")
            for m in self.managers
        ]
        lines.append(f"team: {fmt_number(self.achievable)} deals")
        return "\n".join(lines)

    def __repr__(self) -> str:
        names = [m.manager for m in self.managers]
        return f"TeamPlan(managers={names!r}, achievable={self.achievable})"

    def _repr_html_(self) -> str:
        return self.table._repr_html_()


def feasible_plan(
    funnels: Mapping[str, SupportsFunnel], capacity: Mapping[str, float] | float
) -> TeamPlan:
    """The plan each manager can achieve from their own funnel and capacity.

    A manager who can work ``capacity`` leads per period and converts a share
    ``c`` of leads into closed deals (their own overall conversion) can be
    planned for ``floor(capacity * c)`` deals: rounded **down**, because a plan
    must be reachable. When the last stage carries an amount, the average
    amount per closed deal times that count is the achievable amount.

    Parameters
    ----------
    funnels
        Manager -> that manager's funnel over a past period (a
        :class:`Funnel` or a result with a ``.funnel``, as
        ``closed_funnel(log, by="owner")`` returns).
    capacity
        Leads per period each manager can work: one number for everyone or a
        mapping with an entry for every manager.

    Raises
    ------
    FunnelDataError
        A manager without capacity, a capacity <= 0, or a funnel whose overall
        conversion is undefined (first stage 0).

    Examples
    --------
    >>> f = {"Ann": Funnel.from_counts({"Calls": 200, "Paid": 10}),
    ...      "Bob": Funnel.from_counts({"Calls": 100, "Paid": 8})}
    >>> plan = feasible_plan(f, {"Ann": 300, "Bob": 150})
    >>> [m.achievable for m in plan.managers], plan.achievable
    ([15, 12], 27)
    """
    rows = []
    for manager, funnel in as_funnels(funnels, "feasible_plan's funnels").items():
        if isinstance(capacity, Mapping):
            if manager not in capacity:
                msg = f"capacity has no entry for manager {manager!r}"
                raise FunnelDataError(msg)
            cap = _check_number(capacity[manager], f"capacity[{manager!r}]")
        else:
            cap = _check_number(capacity, "capacity")
        rate = overall_conversion(funnel)
        if math.isnan(rate):
            msg = (
                f"funnel of manager {manager!r} starts at 0, so its conversion is undefined "
                "and no plan can be derived from it"
            )
            raise FunnelDataError(msg)
        achievable = math.floor(_exact(cap * rate + _EPS, f"deals of {manager!r}", cap))
        last = funnel.stages[-1]
        average = last.amount / last.count if last.amount is not None and last.count > 0 else None
        rows.append(
            ManagerPlan(
                manager=manager,
                capacity=cap,
                overall_conversion=rate,
                achievable=achievable,
                average_amount=average,
                achievable_amount=None if average is None else average * achievable,
            )
        )
    return TeamPlan(tuple(rows))
