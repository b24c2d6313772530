"""The cohort funnel's result: :class:`CohortFunnel` (built by :mod:`salesfunnel.deals.cohort`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._format import fmt_count, fmt_number, json_number
from .._table import ResultTable
from ..funnel.model import Funnel
from .closed import SummaryView, funnel_table, no_amount_note
from .durations import DurationStats
from .shared import Mode, dumps
from .survival import SurvivalCurve

__all__ = ["CohortFunnel"]


@dataclass(frozen=True, slots=True)
class CohortFunnel(SummaryView):
    """The deals that entered in a period, counted by the furthest stage reached by ``as_of``.

    Attributes
    ----------
    funnel
        A :class:`~salesfunnel.Funnel` of the open stages plus the won
        outcome; each stage's ``data`` is a read-only array of the ids of the
        deals counted there and its ``amount`` the sum of their last known
        amounts (``None`` without an amount column).
    name
        The owner, or ``None`` for the whole team.
    mode, start, end, as_of
        The counting mode, the entry period and the snapshot time (ISO
        strings or ``None``).
    deals
        Deals that entered in the period (by ``as_of``).
    open_deals, won, lost, frozen
        Their state at ``as_of``: won is any deal with a win (the first win
        counts), the others by the label of their last event.
    time_to_reach
        One :class:`~salesfunnel.DurationStats` per funnel stage: the time
        from entry to first reaching the stage, over the deals that reached
        it (``unknown`` counts those whose time is unknown).
    time_to_won
        The cumulative incidence of winning over time from entry
        (:func:`~salesfunnel.cumulative_incidence`): open and frozen deals
        censored at ``as_of``, lost deals a competing outcome (``None`` when
        ``time_to_won=False`` was asked for).
    censored
        Deals censored in ``time_to_won`` (open or frozen at ``as_of``).
    unknown_time_deals
        Deals left out because an unknown time made their entry period (or
        their state at ``as_of``) uncertain.
    amount_unknown
        Deals of the cohort without a known amount by ``as_of``: counted in
        every stage they reached, left out of its amount (0 without an amount
        column).
    """

    funnel: Funnel
    name: str | None
    mode: Mode
    start: str | None
    end: str | None
    as_of: str | None
    deals: int
    open_deals: int
    won: int
    lost: int
    frozen: int
    time_to_reach: tuple[DurationStats, ...]
    time_to_won: SurvivalCurve | None
    censored: int
    unknown_time_deals: int
    amount_unknown: int

    @property
    def table(self) -> ResultTable:
        """Per stage: deals, amount, conversions and the time to first reach it."""
        times = [(t.median_days, t.mean_days, t.p90_days) for t in self.time_to_reach]
        return funnel_table(self.funnel, self.name or "deals by entry", times)

    def to_json(self, *, indent: int | None = None) -> str:
        """Summary, stages, times to first reach and the time-to-won curve as strict JSON."""
        names = self.funnel.names
        payload = {
            "name": self.name,
            "mode": self.mode,
            "start": self.start,
            "end": self.end,
            "as_of": self.as_of,
            "deals": self.deals,
            "open_deals": self.open_deals,
            "won": self.won,
            "lost": self.lost,
            "frozen": self.frozen,
            "censored": self.censored,
            "unknown_time_deals": self.unknown_time_deals,
            "amount_unknown": self.amount_unknown,
            "stages": self.to_records(),
            "time_to_reach": [
                {"stage": n, **t.to_record()}
                for n, t in zip(names, self.time_to_reach, strict=True)
            ],
            "time_to_won": None
            if self.time_to_won is None
            else {
                "median_days": json_number(self.time_to_won.median),
                "unknown_time": self.time_to_won.unknown_time,
                "rows": self.time_to_won.to_records(),
            },
        }
        return dumps(payload, indent)

    def _summary(self) -> str:
        median = math.nan if self.time_to_won is None else self.time_to_won.median
        won_by = "" if median != median else f", half won within {fmt_number(round(median, 1))} d"
        return (
            f"{fmt_count(self.deals, 'deal')} entered: {fmt_number(self.won)} won, "
            f"{fmt_number(self.lost)} lost, {fmt_number(self.open_deals)} open, "
            f"{fmt_number(self.frozen)} frozen ({fmt_number(self.censored)} censored){won_by}"
            f"{no_amount_note(self.amount_unknown)}"
        )

    def __repr__(self) -> str:
        return (
            f"CohortFunnel(name={self.name!r}, mode={self.mode!r}, deals={self.deals}, "
            f"won={self.won}, lost={self.lost}, open_deals={self.open_deals}, "
            f"frozen={self.frozen}, censored={self.censored})"
        )
