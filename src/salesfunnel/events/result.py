"""The result of :func:`~salesfunnel.event_funnel`: :class:`EventFunnel`."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .._format import escape_html, fmt_count, fmt_number, fmt_percent
from .._table import Cell, ResultTable, TableView
from ..errors import FunnelDataError
from ..funnel.model import Funnel
from ..funnel.rates import conversion_from_first, step_conversion

if TYPE_CHECKING:
    import pandas
    import polars

__all__ = ["EventFunnel"]


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
    order, window, attribution, breakdown, start, end, modes, unit, period, tz, name
        The options asked for (``start``/``end`` as ISO text in UTC, ``period``
        as ``D``/``W``/``M`` or seconds like ``3600s``, ``tz`` the zone whose
        calendar cut the periods, ``None`` for UTC); ``name`` is the breakdown
        value or the period (``None`` for the total).
    by
        Breakdown value to the funnel of its units (empty without breakdown).
    trend
        Period (by its label, in time order) to the funnel of the chains whose
        step-1 event fell in it (empty without ``period``): absolute counts per
        period, so a unit that entered in two periods counts in both.
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
    breakdown: str | tuple[str, ...] | None = None
    start: str | None = None
    end: str | None = None
    name: str | None = None
    by: Mapping[str, EventFunnel] = field(default_factory=dict)
    modes: tuple[str, ...] = ()
    unit: str | tuple[str, ...] | None = None
    period: str | None = None
    trend: Mapping[str, EventFunnel] = field(default_factory=dict)
    tz: str | None = None

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
        out: dict[str, object] = {
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
        # Keys of the later options only when asked for: earlier outputs keep their bytes.
        if self.modes:
            out["modes"] = list(self.modes)
        if self.unit is not None:
            out["unit"] = self.unit
        if self.period is not None:
            out["period"] = self.period
            out["trend"] = {k: v._payload() for k, v in self.trend.items()}
        if self.tz is not None:
            out["tz"] = self.tz
        return out

    def _long(self, kind: str, groups: Mapping[str, EventFunnel]) -> ResultTable:
        cols = (kind, "step", "units", "step_conversion", "conversion_from_first", "still_open")
        rows: list[tuple[Cell, ...]] = []
        for g, f in groups.items():
            first = conversion_from_first(f.funnel)
            for i, label in enumerate(f.steps):
                conv = f.step_conversion[i]
                rows.append((g, label, f.counts[i], conv, float(first[i]), f.open_counts[i]))
        return ResultTable(f"event funnel by {kind}", cols, tuple(rows))

    @property
    def by_table(self) -> ResultTable:
        """Long form of the breakdown: one row per (group, step) with counts and rates."""
        return self._long("group", self.by)

    @property
    def trend_table(self) -> ResultTable:
        """Long form of the trend: one row per (period, step) with counts and rates."""
        return self._long("period", self.trend)

    def _pick(self, table: str) -> ResultTable:
        tables = {"steps": lambda: self.table, "by": lambda: self.by_table,
                  "trend": lambda: self.trend_table}  # fmt: skip
        if table not in tables:
            msg = f"table must be 'steps', 'by' or 'trend' (got {table!r})"
            raise FunnelDataError(msg, column="table", value=table)
        return tables[table]()

    def to_pandas(self, table: str = "steps") -> pandas.DataFrame:
        """A table as a pandas DataFrame: ``'steps'`` (default), ``'by'`` or ``'trend'``."""
        return self._pick(table).to_pandas()

    def to_polars(self, table: str = "steps") -> polars.DataFrame:
        """A table as a polars DataFrame: ``'steps'`` (default), ``'by'`` or ``'trend'``.

        Rates are fractions, undefined ones null; requires ``polars``.
        """
        try:
            import polars as pl
        except ImportError as exc:  # pragma: no cover - depends on the environment
            msg = "to_polars() needs polars: pip install polars"
            raise ImportError(msg) from exc
        t = self._pick(table)
        records = t.to_records()
        return pl.DataFrame({c: [r[c] for r in records] for c in t.columns}, strict=False)

    def to_json(self, *, indent: int | None = None) -> str:
        """Options, steps and breakdown groups as strict JSON (``null`` for undefined)."""
        return json.dumps(self._payload(), indent=indent, ensure_ascii=False, allow_nan=False)

    def _summary(self) -> str:
        text = (
            f"{fmt_count(self.counts[0], 'unit')} entered, {fmt_number(self.counts[-1])} completed "
            f"({fmt_percent(self.overall_conversion)}); window {self.window}, order {self.order}"
        )
        if self.excluded:
            text += f"; {fmt_number(self.excluded)} removed by exclusions"
        if any(self.open_counts):
            text += f"; {fmt_number(sum(self.open_counts))} still inside their window at {self.end}"
        return text

    def __str__(self) -> str:
        parts = [f"{self.table}\n{self._summary()}"]
        parts += [str(sub) for sub in self.by.values()]
        if self.period is not None:
            parts.append(str(self.trend_table))
        return "\n\n".join(parts)

    def _repr_html_(self) -> str:
        html = f"{self.table._repr_html_()}<p>{escape_html(self._summary())}</p>"
        return html + "".join(sub._repr_html_() for sub in self.by.values())

    def __repr__(self) -> str:
        return (
            f"EventFunnel(steps={len(self.steps)}, counts={self.counts!r}, order={self.order!r}, "
            f"window='{self.window}', excluded={self.excluded}, groups={len(self.by)})"
        )
