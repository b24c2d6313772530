"""Deal ids of a DataFrame or Table written as a prefix and a number, ranked without a sort.

The frame constructors (:meth:`DealLog.from_arrow`, ``from_polars``,
``from_pandas``) code text ids by their rank in the sorted text, as
:func:`numpy.unique` would. For ids such as ``D17`` or ``17`` (one common
prefix, then a plain number: no sign, no leading zero, no space) that rank
follows from the numbers alone: within one number of digits text order is
numeric order, and a number of ``d`` digits sorts among those of ``e`` digits
as its first ``e`` digits do (a tie, ``12`` against ``120``, puts the shorter
first). So the rank of every value comes from one running count over the
range of the numbers, read at a few computed places per number of digits: no
hash and no sort of text or of numbers. Anything else returns ``None`` and
takes the general path (:func:`salesfunnel.deals.arrowcsv.text_codes`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .arrowcsv import _pyarrow_csv, numpy_of, text_codes, text_column
from .textcodes import TextCodes, TextTable, int_array

__all__ = ["dense_number_codes", "frame_codes", "number_id_codes", "number_ids"]

I64 = npt.NDArray[np.int64]
_MAX_DIGITS = 17  # the widest number kept: 10**17 and 10**18 both fit int64 arithmetic
_POWERS = 10 ** np.arange(_MAX_DIGITS + 2, dtype=np.int64)
_CHUNK = 1 << 20  # numbers ranked at a time where digit counts mix


def frame_codes(values: Any, *, blanks: bool, ids: bool) -> TextCodes | None:
    """A DataFrame's or Table's text column factorised natively, or ``None``
    (:func:`~salesfunnel.deals.arrowcsv.text_codes`); ``ids`` for the deal ids,
    whose table stays in Arrow and which try :func:`number_id_codes` first."""
    if ids and _pyarrow_csv() is not None:
        column = text_column(values)
        coded = None if column is None or not len(column) else number_id_codes(column)
        if coded is not None:
            return coded
        values = values if column is None else column  # converted once
    return text_codes(values, blanks=blanks, lazy=ids)


def number_id_codes(column: Any) -> TextCodes | None:
    """``column`` (an Arrow text column without nulls) coded by text rank, or ``None``.

    ``None`` unless every id is one common prefix (possibly empty, ending in a
    non-digit, without space or NUL) and a plain non-negative number of at
    most 17 digits; the table of ids stays in Arrow (a :class:`TextTable` of
    the numbers and the prefix), in the order ``np.unique`` of the text gives.
    """
    numbers = number_ids(column)
    return None if numbers is None else dense_number_codes(*numbers)


def dense_number_codes(ints: I64, prefix: str) -> TextCodes | None:
    """The ids ``prefix`` + ``ints`` (as :func:`number_ids` gives them) coded by text
    rank without a sort, or ``None`` when the numbers are sparse (the caller sorts).

    Consumes ``ints`` when it returns codes (its buffer holds them); leaves it
    as it was when it returns ``None``.
    """
    lo, hi = int(ints.min()), int(ints.max())
    if hi - lo > 8 * ints.size + 1024:
        return None  # sparse: the general path sorts the numbers
    ints -= lo
    present = np.zeros(hi - lo + 1, dtype=bool)
    present[ints] = True
    small = len(ints) < 2**31 - 1
    rank = _slot_ranks(present, lo, np.int32 if small else np.int64)
    values = np.flatnonzero(present)
    table = np.empty(len(values), np.int64)
    table[rank[values]] = values + lo
    codes = rank[ints]
    ints[:] = codes  # int64 codes in the buffer already held, not a new one
    return TextCodes(ints, TextTable(int_array(table), prefix))


def number_ids(column: Any) -> tuple[I64, str] | None:
    """``(numbers, prefix)`` of ids written as ``prefix`` + plain number, else ``None``.

    The number has no sign, no leading zero and at most 17 digits; the prefix
    (``''``, ``'D'``, ``'deal-'``...) is the same for every id and ends in a
    non-digit, without space or NUL (which ``str.strip`` would treat apart).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string_view(column.type):
        column = pc.cast(column, pa.large_string())
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None
    if len(column) == 0 or column.null_count:
        return None
    first = str(column[0].as_py())
    prefix = first.rstrip("0123456789")
    if prefix == first or prefix != prefix.lstrip() or "\0" in prefix:
        return None
    if prefix:
        if not pc.all(pc.starts_with(column, prefix)).as_py():
            return None
        column = pc.utf8_slice_codeunits(column, len(prefix))
    if not pc.all(pc.match_substring_regex(column.slice(0, 64), "^[0-9]+$")).as_py():
        return None  # a failing cast is slow: look at the first values first
    try:
        ints = numpy_of(pc.cast(column, pa.int64()), writable=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    lo, hi = int(ints.min()), int(ints.max())
    if lo < 0 or hi >= _POWERS[_MAX_DIGITS]:
        return None
    lo = max(lo, 1)
    # As many bytes written as the numbers have digits: no sign, space or leading zero.
    # Every number has at least the digits of the smallest; one more per power reached.
    digits = ints.size * int(np.searchsorted(_POWERS, lo, side="right"))
    digits += sum(
        int(np.count_nonzero(ints >= p)) for p in _POWERS[(lo < _POWERS) & (hi >= _POWERS)]
    )
    if int(pc.sum(pc.binary_length(column)).as_py() or 0) != digits:
        return None
    return ints, prefix


def _slot_ranks(present: npt.NDArray[np.bool_], lo: int, kind: type) -> np.ndarray:
    """Per slot ``x`` (the number ``lo + x``) of ``present``, the text rank of that number.

    The rank of ``v`` is, summed over each number of digits ``e``, how many
    present numbers ``u`` of ``e`` digits sort before it: ``u < v * 10**(e -
    d)`` when ``e >= d`` (``d`` the digits of ``v``), ``u <= v // 10**(d - e)``
    otherwise. ``below[k]`` counts the present slots before slot ``k``.
    Entries of absent slots are not meaningful.
    """
    size = len(present)
    below: np.ndarray = np.zeros(size + 1, dtype=kind)
    np.cumsum(present, out=below[1:])
    spans = _digit_spans(lo, lo + size - 1)
    if len(spans) == 1:
        return below[:-1]
    rank: np.ndarray = np.empty(size, dtype=kind)
    for d, start, stop in spans:
        rank[start - lo : stop - lo] = below[start - lo : stop - lo]  # same digits: numeric order
        rank[start - lo : stop - lo] -= below[start - lo]
        for first in range(start, stop, _CHUNK):  # bounded temporaries
            v = np.arange(first, min(first + _CHUNK, stop), dtype=np.int64)
            out = rank[first - lo : first - lo + len(v)]
            for e, e_start, e_stop in spans:
                if e != d:
                    bound = v * _POWERS[e - d] if e > d else v // _POWERS[d - e] + 1
                    np.clip(bound, e_start, e_stop, out=bound)
                    bound -= lo
                    out += below[bound]
                    out -= below[e_start - lo]
    return rank


def _digit_spans(lo: int, hi: int) -> list[tuple[int, int, int]]:
    """``(digits, start, stop)`` of the numbers from ``lo`` to ``hi``, one per number of digits."""
    spans = []
    start = lo
    while start <= hi:
        d = max(int(np.searchsorted(_POWERS, start, side="right")), 1)
        stop = min(int(_POWERS[d]), hi + 1)
        spans.append((d, start, stop))
        start = stop
    return spans
