"""A small typed table shared by the deal-history results.

Every result of :mod:`salesfunnel.history` exposes its numbers as one or more
:class:`ResultTable` objects: plain rows of plain values, with ``to_records()``,
``to_json()``, ``to_pandas()`` and an HTML view for notebooks. Undefined numbers
are NaN in the rows, ``None`` in records and JSON and an em dash in text.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ._format import EM_DASH, escape_html, fmt_number, fmt_percent

if TYPE_CHECKING:
    import pandas

__all__ = ["ResultTable", "TableView", "is_rate_column", "text_table"]

Cell = str | int | float | bool | None


def _json_cell(value: Cell) -> Cell:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_RATE_WORDS = frozenset({"conversion", "rate", "probability", "share"})


def is_rate_column(column: str) -> bool:
    """The one rule for "this column holds a rate": a ``_``-separated word of its name
    is ``conversion``, ``rate``, ``probability`` or ``share``.

    Rates are fractions in [0, 1]: shown as percentages in text for people,
    kept as fractions in rows, records, JSON and pandas.

    >>> [is_rate_column(c) for c in ("step_conversion", "win_rate", "deals", "rates")]
    [True, True, False, False]
    """
    return not _RATE_WORDS.isdisjoint(column.split("_"))


def _text_cell(value: Cell, rate: bool = False) -> str:
    if value is None:
        return EM_DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return fmt_percent(float(value)) if rate else fmt_number(float(value))
    return str(value)


def _text_cells(columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> list[tuple[str, ...]]:
    rates = [is_rate_column(c) for c in columns]
    return [
        tuple(_text_cell(_json_cell(v), r) for v, r in zip(row, rates, strict=True)) for row in rows
    ]


def text_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    headings: Mapping[str, str] | None = None,
) -> str:
    """Rows as aligned text for people: the one text-table renderer.

    A header line (``headings`` renames columns there), a line of dashes, then
    one line per row. Rates are percentages, other numbers use ``fmt_number``,
    undefined values an em dash. A column other than the first is
    right-aligned when every value in it is a number or ``None``; trailing
    spaces are cut.

    >>> print(text_table(("stage", "win_rate"), [("Call", 0.5)], headings={"win_rate": "win"}))
    stage    win
    -----  -----
    Call   50.0%
    """
    names = headings or {}
    lines_in: list[Sequence[str]] = [
        [names.get(c, c) for c in columns],
        *_text_cells(columns, rows),
    ]
    widths = [max(len(r[j]) for r in lines_in) for j in range(len(columns))]
    numeric = [
        j > 0 and all(isinstance(r[j], (int, float)) or r[j] is None for r in rows)
        for j in range(len(columns))
    ]
    lines = []
    for k, row in enumerate(lines_in):
        cells = [
            cell.rjust(widths[j]) if numeric[j] else cell.ljust(widths[j])
            for j, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ResultTable:
    """Named columns and rows of plain values.

    Examples
    --------
    >>> rows = (("Call", 3, 1.5), ("Won", 1, math.nan))
    >>> t = ResultTable("demo", ("stage", "count", "median_days"), rows)
    >>> t.to_records()[1]
    {'stage': 'Won', 'count': 1, 'median_days': None}
    >>> print(t)
    demo
    stage  count  median_days
    -----  -----  -----------
    Call       3          1.5
    Won        1            —
    """

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Cell, ...]]:
        return iter(self.rows)

    def column(self, name: str) -> list[Cell]:
        """All values of one column, in row order."""
        j = self.columns.index(name)
        return [row[j] for row in self.rows]

    def to_records(self) -> list[dict[str, Cell]]:
        """One JSON-ready dict per row (``None`` for undefined numbers)."""
        return [
            {c: _json_cell(v) for c, v in zip(self.columns, row, strict=True)} for row in self.rows
        ]

    def to_json(self, *, indent: int | None = None) -> str:
        """The records as strict JSON text (no NaN)."""
        import json  # here, not at import: drawing a chart never needs it

        payload = {"table": self.name, "rows": self.to_records()}
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    def to_pandas(self) -> pandas.DataFrame:
        """The table as a DataFrame (requires the optional ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            msg = "to_pandas() needs pandas: pip install 'salesfunnel[pandas]'"
            raise ImportError(msg) from exc
        frame: pandas.DataFrame = pd.DataFrame.from_records(
            list(self.rows), columns=list(self.columns)
        )
        return frame

    def _text_rows(self) -> list[tuple[str, ...]]:
        return _text_cells(self.columns, self.rows)

    def __str__(self) -> str:
        return f"{self.name}\n{text_table(self.columns, self.rows)}"

    def __repr__(self) -> str:
        return f"ResultTable(name={self.name!r}, columns={self.columns!r}, rows={len(self.rows)})"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{escape_html(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape_html(cell)}</td>" for cell in row) + "</tr>"
            for row in self._text_rows()
        )
        return (
            f'<table class="salesfunnel-table"><caption>{escape_html(self.name)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


class _HasTable(Protocol):
    @property
    def table(self) -> ResultTable: ...


class TableView:
    """Mixin for results whose rows live in a :class:`ResultTable` at ``self.table``.

    It supplies the delegating ``to_records``, ``to_pandas`` and the notebook
    HTML view once, so each result only writes what is its own (``to_json``'s
    summary fields, ``repr``).
    """

    __slots__ = ()

    def to_records(self: _HasTable) -> list[dict[str, Cell]]:
        """One JSON-ready dict per row (``None`` for undefined numbers)."""
        return self.table.to_records()

    def to_pandas(self: _HasTable) -> pandas.DataFrame:
        """The rows as a DataFrame (requires the optional ``pandas`` extra)."""
        return self.table.to_pandas()

    def _repr_html_(self: _HasTable) -> str:
        return self.table._repr_html_()
