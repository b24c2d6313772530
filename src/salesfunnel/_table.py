"""A small typed table shared by every result, and its DataFrame views.

Every result exposes its numbers as a :class:`ResultTable` (its ``table``):
plain rows of plain values, with ``to_records()``, ``to_json()``,
``to_pandas()``, ``to_polars()`` and an HTML view for notebooks. Undefined
numbers are NaN in the rows and in pandas, null in polars, ``None`` in records
and JSON and an em dash in text.

:func:`to_pandas` and :func:`to_polars` are the one implementation behind every
``to_pandas()``/``to_polars()``: given one result they give its table, given a
mapping of results (``closed_funnel(log, by="owner")``) one tidy frame with the
mapping's key in a ``group`` column first.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ._format import EM_DASH, escape_html, fmt_number, fmt_percent
from .errors import FunnelDataError

if TYPE_CHECKING:
    import pandas
    import polars

__all__ = ["ResultTable", "TableView", "is_rate_column", "text_table", "to_pandas", "to_polars"]

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

    def to_polars(self) -> polars.DataFrame:
        """The table as a polars DataFrame (requires the optional ``polars`` extra).

        Undefined numbers are null (polars' missing value), not NaN. A column
        mixing integers and floats is Float64.
        """
        try:
            import polars as pl
        except ImportError as exc:  # pragma: no cover - depends on the environment
            msg = "to_polars() needs polars: pip install 'salesfunnel[polars]'"
            raise ImportError(msg) from exc
        series = [
            pl.Series(name, [_json_cell(row[j]) for row in self.rows], strict=False)
            for j, name in enumerate(self.columns)
        ]
        return pl.DataFrame(series)

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

    def to_polars(self: _HasTable) -> polars.DataFrame:
        """The rows as a polars DataFrame (requires the optional ``polars`` extra)."""
        return self.table.to_polars()

    def _repr_html_(self: _HasTable) -> str:
        return self.table._repr_html_()


def _table_of(result: object, what: str) -> ResultTable:
    if isinstance(result, ResultTable):
        return result
    table = getattr(result, "table", None)
    if isinstance(table, ResultTable):
        return table
    msg = (
        f"{what} must be a salesfunnel result (something with a .table, such as a Funnel, "
        f"ClosedFunnel or Comparison) or a mapping of them, got {type(result).__name__}"
    )
    raise FunnelDataError(msg, column=what, value=result)


def _combined(results: object, group: str) -> ResultTable:
    """One table: a result's own, or for a mapping every result's rows under its key."""
    if not isinstance(results, Mapping):
        return _table_of(results, "results")
    if not results:
        msg = "results is an empty mapping: there is nothing to put in a frame"
        raise FunnelDataError(msg, column="results")
    tables = {key: _table_of(r, f"results[{key!r}]") for key, r in results.items()}
    first_key, first = next(iter(tables.items()))
    if group in first.columns:
        msg = (
            f"the results already have a column {group!r}; name the key column "
            f"otherwise, e.g. group='key'"
        )
        raise FunnelDataError(msg, column="group", value=group)
    rows: list[tuple[Cell, ...]] = []
    for key, table in tables.items():
        if table.columns != first.columns:
            msg = (
                f"results[{key!r}] has columns {list(table.columns)!r} but "
                f"results[{first_key!r}] has {list(first.columns)!r}: one frame needs "
                "results of one kind"
            )
            raise FunnelDataError(msg, column=f"results[{key!r}]")
        label = key if isinstance(key, (str, int, float, bool)) or key is None else str(key)
        rows += [(label, *row) for row in table.rows]
    return ResultTable(first.name, (group, *first.columns), tuple(rows))


def to_pandas(results: object, *, group: str = "group") -> pandas.DataFrame:
    """One tidy pandas DataFrame of a result or of a mapping of results.

    Parameters
    ----------
    results
        A result with a ``table`` (a :class:`~salesfunnel.Funnel`,
        ``ClosedFunnel``, ``Comparison``, ...), or a mapping of key -> such
        results of one kind, as ``closed_funnel(log, by="owner")`` returns.
    group
        Name of the column that holds the mapping's keys (first column).

    Raises
    ------
    FunnelDataError
        Something that is not a result arrived, an empty mapping, results of
        different kinds (different columns), or results that already have a
        column called ``group``.

    Examples
    --------
    >>> from salesfunnel import Funnel
    >>> ann = Funnel.from_counts({"Calls": 200, "Paid": 10})
    >>> bob = Funnel.from_counts({"Calls": 100, "Paid": 8})
    >>> to_pandas({"Ann": ann, "Bob": bob})[["group", "stage", "count"]]  # doctest: +SKIP
      group  stage  count
    0   Ann  Calls  200.0
    1   Ann   Paid   10.0
    2   Bob  Calls  100.0
    3   Bob   Paid    8.0

    (Skipped as a doctest: pandas is optional; ``tests/funnel/test_compose.py``
    checks it.)
    """
    return _combined(results, group).to_pandas()


def to_polars(results: object, *, group: str = "group") -> polars.DataFrame:
    """One tidy polars DataFrame of a result or of a mapping of results.

    The same rules as :func:`to_pandas`; undefined numbers are null.

    Examples
    --------
    >>> from salesfunnel import Funnel
    >>> f = Funnel.from_counts({"Calls": 200, "Paid": 10})
    >>> to_polars({"Ann": f}).columns  # doctest: +SKIP
    ['group', 'stage', 'count', 'amount']
    """
    return _combined(results, group).to_polars()
