"""A deal log's amount column: floats, NaN for blanks, every bad cell located (private).

:func:`amounts` is the conversion of :func:`~.columns.convert` and the wide
form: numbers as they are, plain texts through ``float()`` at once, and any
other column cell by cell with :func:`~salesfunnel._numbers.number`, which
reads ``decimal`` as the decimal mark and refuses what ``float()`` would
take by mistake (``True``, ``+nan``). A negative or infinite amount is
refused at its first row.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from .._csvio import Rows
from .._numbers import number
from .._time import is_blank

__all__ = ["amount_cell", "amounts", "check_amounts"]


def amounts(
    values: object, column: str, where: Rows, decimal: str = "."
) -> npt.NDArray[np.float64]:
    """Amounts as floats, NaN for blanks; text is read with ``decimal`` as the decimal mark."""
    arr = np.asarray(values)
    out = None
    if arr.dtype.kind in "iuf":
        out = arr.astype(np.float64)
    elif decimal == "." and arr.dtype.kind in "OU":
        out = _plain_floats(arr.tolist())
    if out is None:
        out = np.empty(len(arr), dtype=np.float64)
        for i, v in enumerate(arr.astype(object)):
            out[i] = amount_cell(v, i, column, where, decimal)
    check_amounts(out, arr, column, where)
    return out


def _plain_floats(values: list[Any]) -> npt.NDArray[np.float64] | None:
    """Fast path: plain numbers; ``float()`` refuses '1,5', blanks and non-text, which
    the cell-by-cell path then reads or reports."""
    try:
        out = np.array([float(v) for v in values if isinstance(v, str)], np.float64)
    except ValueError:
        return None
    return out if len(out) == len(values) else None


def amount_cell(v: object, i: int, column: str, where: Rows, decimal: str) -> float:
    """One cell of the cell-by-cell path (record ``i`` for the error)."""
    if is_blank(v):
        return math.nan
    try:
        if isinstance(v, (bool, np.bool_)):
            raise TypeError  # True as an amount is a mistake, never 1.0
        return number(v, decimal) if isinstance(v, str) else float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError) as exc:
        detail = f"amount is not a number (got {v!r})"
        if isinstance(exc, OverflowError):
            detail = f"amount is too large for a float (got {v!r})"
        elif isinstance(v, str):
            detail = f"amount is {exc}"
        raise where.error(i, detail, column=column, value=v) from None


def check_amounts(out: npt.NDArray[np.float64], arr: Any, column: str, where: Rows) -> None:
    bad = np.flatnonzero(np.isinf(out) | (out < 0))
    if bad.size:
        i = int(bad[0])
        detail = f"amount must be finite and >= 0 (got {arr[i]!r})"
        raise where.error(i, detail, column=column, value=arr[i])
