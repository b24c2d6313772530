"""Text columns coded by their source library, and tables of text kept in Arrow.

:class:`TextCodes` is a text column as integer codes into its sorted
distinct values, found by Arrow kernels (:mod:`salesfunnel.deals.arrowcsv`)
rather than value by value; its table may stay in Arrow as a
:class:`TextTable`, whose Python strings are built only when read.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["TextCodes", "TextTable", "int_array"]

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class TextTable:
    """Distinct texts kept in Arrow; the Python strings are built only when asked for.

    Entry ``k`` is ``prefix + str(values[k])``: ``values`` is an Arrow string
    array, or an int64 one for ids written as a prefix and a number (``D17``).
    A table of millions of deal ids then costs no Python objects until
    :attr:`DealLog.deal_ids` or :meth:`DealLog.ids_of` reads it.
    """

    values: Any
    prefix: str = ""

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: npt.NDArray[Any]) -> np.ndarray:
        """The entries at ``index`` (integers, or a mask), as an object array of ``str``."""
        index = np.asarray(index)
        if index.dtype == np.bool_:
            index = np.flatnonzero(index)
        return self.subset(index).to_numpy()

    def subset(self, index: npt.NDArray[np.integer]) -> TextTable:
        """The table of the entries at ``index``, still in Arrow."""
        return TextTable(self.values.take(int_array(index)), self.prefix)

    def to_numpy(self) -> np.ndarray:
        """Every entry, in order, as an object array of ``str``."""
        import pyarrow as pa
        import pyarrow.compute as pc

        text = self.values
        if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
            text = pc.cast(text, pa.string())
        return strings_of(text, self.prefix)


def strings_of(text: Any, prefix: str = "") -> np.ndarray:
    """``prefix`` + each string of an Arrow string array, as an object array of ``str``.

    Arrow's ``to_numpy`` and its compute functions given a Python string are
    the faster way once pandas is loaded, but they import pandas (a quarter of
    a second or more of a fresh process such as the command line) the first
    time; until then the strings go through a list (about 0.03 s more per
    million, 0.1 s with a prefix). Same strings either way (tested).
    """
    import pyarrow.compute as pc

    if "pandas" in sys.modules:
        if prefix:
            text = pc.binary_join_element_wise(prefix, text, "")
        out: np.ndarray = text.to_numpy(zero_copy_only=False)
        return out
    values = text.to_pylist()
    arr = np.empty(len(values), dtype=object)
    arr[:] = [prefix + v for v in values] if prefix else values
    return arr


def int_array(values: npt.NDArray[np.integer]) -> Any:
    """Integers as an Arrow int64 array, without copying int64 (``pa.array`` of numpy
    would import pandas, a second's start-up for the command line)."""
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


@dataclass(frozen=True, slots=True)
class TextCodes:
    """A text column factorised by its source library: row ``i`` holds ``table[codes[i]]``.

    ``table`` is the distinct values, stripped and sorted (an object array of
    ``str``, ``''`` for a blank cell, or a :class:`TextTable` of them): what
    the converters would find with ``np.unique``, found by Arrow kernels
    instead of a loop over the values. ``dense`` says every entry of the
    table is held by some row (true until rows are dropped).
    """

    codes: npt.NDArray[np.integer]
    table: np.ndarray | TextTable
    dense: bool = True

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, index: I64) -> TextCodes:
        return TextCodes(self.codes[index], self.table, dense=False)

    def texts(self) -> np.ndarray:
        """The table as an object array of ``str``."""
        return self.table.to_numpy() if isinstance(self.table, TextTable) else self.table

    def compact(self) -> TextCodes:
        """Only the values some row holds (after rows were dropped), ranks kept in order."""
        if self.dense:
            return self  # no scan of the rows: every value is some row's
        present = np.zeros(len(self.table), dtype=bool)
        present[self.codes] = True
        if present.all():
            return self
        rank = np.cumsum(present) - 1
        table = self.table
        kept = table.subset(np.flatnonzero(present)) if isinstance(table, TextTable) else None
        return TextCodes(rank[self.codes], table[present] if kept is None else kept)
