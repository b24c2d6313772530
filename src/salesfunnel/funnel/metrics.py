"""Pure metric functions on an aggregate :class:`~salesfunnel.Funnel`.

Rules shared by every function here:

* rates are fractions (0.05, not 5);
* a rate whose denominator is 0 is undefined: NaN in arrays, ``None`` in
  records and JSON, an em dash in text. No function returns ``inf``;
* the first stage has no previous stage: its step conversion is 1.0 and its
  drop-off 0 (both undefined when the first stage is itself 0);
* non-monotonic funnels (a later stage larger than the one before) give step
  conversions above 1 and negative drop-offs; they are reported, not hidden.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._format import EM_DASH, escape_html, fmt_number, fmt_percent, json_number
from .model import Funnel, SupportsFunnel, as_funnel
from .rates import _ratio, conversion_from_first, step_conversion

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas
    import polars

    from .._table import ResultTable

    FloatArray = npt.NDArray[np.float64]

__all__ = [
    "Bottleneck",
    "MetricsTable",
    "StageMetrics",
    "bottleneck",
    "conversion_from_first",
    "drop_off",
    "drop_off_rate",
    "metrics_table",
    "overall_conversion",
    "step_conversion",
]


def overall_conversion(funnel: Funnel) -> float:
    """Last stage over first stage; NaN when the first stage is 0.

    The seed's worked example: 200 prospects called, 10 signed and paid.

    >>> overall_conversion(Funnel.from_counts({"Called": 200, "Paid": 10}))
    0.05
    """
    c = funnel.counts
    return float(_ratio(c[-1:], c[:1])[0])


def drop_off(funnel: Funnel) -> FloatArray:
    """Entities lost between each stage and the one before (first entry 0).

    Negative where a stage is larger than the previous one.

    >>> drop_off(Funnel.from_counts({"Calls": 200, "Meetings": 40, "Paid": 10}))
    array([  0., 160.,  30.])
    """
    c = funnel.counts
    out = np.zeros(len(c), dtype=np.float64)
    out[1:] = c[:-1] - c[1:]
    return out


def drop_off_rate(funnel: Funnel) -> FloatArray:
    """Drop-off as a share of the previous stage: ``1 - step_conversion``.

    >>> drop_off_rate(Funnel.from_counts({"Calls": 200, "Meetings": 40, "Paid": 10}))
    array([0.  , 0.8 , 0.75])
    """
    return 1.0 - step_conversion(funnel)


@dataclass(frozen=True, slots=True)
class Bottleneck:
    """The stage with the lowest step conversion."""

    index: int
    name: str
    rate: float


def bottleneck(funnel: Funnel) -> Bottleneck | None:
    """The stage where the lowest share of the previous stage arrives.

    Only stages after the first are candidates (the first has no previous
    stage). Undefined rates are skipped; ties go to the earliest stage; the
    result is ``None`` for a one-stage funnel or when no rate is defined.

    Examples
    --------
    >>> bottleneck(Funnel.from_counts({"Calls": 200, "Meetings": 40, "Paid": 10}))
    Bottleneck(index=1, name='Meetings', rate=0.2)
    """
    rates = step_conversion(funnel)[1:]
    if rates.size == 0 or np.isnan(rates).all():
        return None
    i = int(np.nanargmin(rates)) + 1  # nanargmin returns the first of equal minima
    return Bottleneck(i, funnel.names[i], float(rates[i - 1]))


@dataclass(frozen=True, slots=True)
class StageMetrics:
    """One row of a :class:`MetricsTable`. Undefined rates are NaN here."""

    index: int
    name: str
    count: float
    amount: float | None
    step_conversion: float
    conversion_from_first: float
    drop_off: float
    drop_off_rate: float
    non_monotonic: bool

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict: undefined numbers become ``None``."""
        return {
            "index": self.index,
            "name": self.name,
            "count": json_number(self.count),
            "amount": json_number(self.amount),
            "step_conversion": json_number(self.step_conversion),
            "conversion_from_first": json_number(self.conversion_from_first),
            "drop_off": json_number(self.drop_off),
            "drop_off_rate": json_number(self.drop_off_rate),
            "non_monotonic": self.non_monotonic,
        }


_COLUMNS = ("stage", "count", "amount", "of previous", "of first", "drop-off", "drop rate", "note")


@dataclass(frozen=True, slots=True)
class MetricsTable:
    """Per-stage metrics of one funnel; see :func:`metrics_table`."""

    funnel_name: str | None
    rows: tuple[StageMetrics, ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[StageMetrics]:
        return iter(self.rows)

    def __getitem__(self, i: int) -> StageMetrics:
        return self.rows[i]

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per stage (``None`` for undefined values)."""
        return [row.to_record() for row in self.rows]

    def to_json(self, *, indent: int | None = None) -> str:
        """The records as JSON text (strict JSON: no NaN)."""
        import json  # here, not at import: drawing a chart never needs it

        payload = {"funnel": self.funnel_name, "stages": self.to_records()}
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    @property
    def table(self) -> ResultTable:
        """The rows as a :class:`~salesfunnel.ResultTable` (undefined rates NaN)."""
        from .._table import ResultTable  # not needed to draw: imported on first use

        columns = tuple(StageMetrics.__dataclass_fields__)
        rows = tuple(tuple(getattr(r, c) for c in columns) for r in self.rows)
        return ResultTable(self.funnel_name or "metrics", columns, rows)

    def to_pandas(self) -> pandas.DataFrame:
        """The table as a DataFrame indexed by stage name (needs the ``pandas`` extra).

        Undefined rates stay NaN here (pandas' missing value), unlike records.
        """
        frame: pandas.DataFrame = self.table.to_pandas().set_index("name")
        return frame

    def to_polars(self) -> polars.DataFrame:
        """The table as a polars DataFrame, ``name`` a column (needs the ``polars`` extra).

        Undefined rates are null (polars' missing value).
        """
        return self.table.to_polars()

    def _text_rows(self) -> list[tuple[str, ...]]:
        return [
            (
                r.name,
                fmt_number(r.count),
                fmt_number(r.amount) if r.amount is not None else "",
                fmt_percent(r.step_conversion) if r.index > 0 else EM_DASH,
                fmt_percent(r.conversion_from_first),
                fmt_number(r.drop_off) if r.index > 0 else "",
                fmt_percent(r.drop_off_rate) if r.index > 0 else "",
                "grows" if r.non_monotonic else "",
            )
            for r in self.rows
        ]

    def __str__(self) -> str:
        rows = [_COLUMNS, *self._text_rows()]
        keep = [j for j in range(len(_COLUMNS)) if any(row[j] for row in rows[1:])]
        widths = {j: max(len(row[j]) for row in rows) for j in keep}
        lines = []
        for k, row in enumerate(rows):
            cells = [row[j].ljust(widths[j]) if j == 0 else row[j].rjust(widths[j]) for j in keep]
            lines.append("  ".join(cells).rstrip())
            if k == 0:
                lines.append("  ".join("-" * widths[j] for j in keep))
        title = f"{self.funnel_name}\n" if self.funnel_name else ""
        return title + "\n".join(lines)

    def __repr__(self) -> str:
        return f"MetricsTable(funnel_name={self.funnel_name!r}, stages={len(self.rows)})"

    def _repr_html_(self) -> str:
        rows = self._text_rows()
        # The note column (a stage larger than the one above) only when a row has one.
        n = len(_COLUMNS) if any(row[-1] for row in rows) else len(_COLUMNS) - 1
        head = "".join(f"<th>{escape_html(c)}</th>" for c in _COLUMNS[:n])
        body = "".join(
            "<tr>" + "".join(f"<td>{escape_html(cell)}</td>" for cell in row[:n]) + "</tr>"
            for row in rows
        )
        caption = f"<caption>{escape_html(self.funnel_name)}</caption>" if self.funnel_name else ""
        return (
            f'<table class="salesfunnel-metrics">{caption}'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


def metrics_table(funnel: SupportsFunnel) -> MetricsTable:
    """Every per-stage metric of ``funnel`` in one table.

    ``funnel`` is a :class:`~salesfunnel.Funnel` or any result that has one
    (``ClosedFunnel``, ``ActiveFunnel``, ``CohortFunnel``, ``EventFunnel``).
    For a dict of results, tabulate each: ``{k: metrics_table(v) for k, v in
    results.items()}``.

    Examples
    --------
    >>> t = metrics_table(Funnel.from_counts({"Calls": 200, "Meetings": 40, "Paid": 10}))
    >>> print(t)
    stage     count  of previous  of first  drop-off  drop rate
    --------  -----  -----------  --------  --------  ---------
    Calls       200            —    100.0%
    Meetings     40        20.0%     20.0%       160      80.0%
    Paid         10        25.0%      5.0%        30      75.0%
    >>> t.to_records()[2]["conversion_from_first"]
    0.05
    """
    funnel = as_funnel(funnel, "metrics_table's funnel")
    step = step_conversion(funnel)
    first = conversion_from_first(funnel)
    lost = drop_off(funnel)
    lost_rate = drop_off_rate(funnel)
    flags = funnel.non_monotonic
    rows = tuple(
        StageMetrics(
            index=i,
            name=s.name,
            count=s.count,
            amount=s.amount,
            step_conversion=float(step[i]),
            conversion_from_first=float(first[i]),
            drop_off=float(lost[i]),
            drop_off_rate=float(lost_rate[i]),
            non_monotonic=bool(flags[i]),
        )
        for i, s in enumerate(funnel.stages)
    )
    return MetricsTable(funnel.name, rows)
