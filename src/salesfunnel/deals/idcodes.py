"""Deal ids of a DataFrame or Table written as a prefix and a number, ranked without a sort.

The frame constructors (:meth:`DealLog.from_arrow`, ``from_polars``,
``from_pandas``) code text ids by their rank in the sorted text, as
:func:`numpy.unique` would. For ids such as ``D17`` or ``17`` (one common
prefix, then a plain number: no sign, no leading zero, no space) that rank
follows from the numbers alone: within one number of digits text order is
numeric order, and a number of ``d`` digits sorts among those of ``e`` digits
as its first ``e`` digits do (a tie, ``12`` against ``120``, puts the shorter
first). So the numbers present are marked in a table of their range and
ranked from counts within each number of digits
(:func:`~.csvtext.number_text_codes`): no hash and no sort of text or of
numbers. Anything else returns ``None`` and
takes the general path (:func:`salesfunnel.deals.arrowcsv.text_codes`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .arrowcsv import _pyarrow_csv, fresh_array, numpy_of, text_codes, text_column
from .csvtext import number_text_codes, slot_lookup
from .textcodes import TextCodes, TextTable, int_array

__all__ = ["NumberIds", "dense_number_codes", "frame_codes", "number_id_codes", "number_ids"]

I64 = npt.NDArray[np.int64]
_MAX_DIGITS = 17  # the widest number kept: 10**17 and 10**18 both fit int64 arithmetic
_POWERS = 10 ** np.arange(_MAX_DIGITS + 2, dtype=np.int64)
_SPLIT = 1 << 20  # ids from this many on are read in two halves at once


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
    return None if numbers is None else dense_number_codes(*numbers, halves=True)


def dense_number_codes(
    ints: I64, prefix: str, bounds: tuple[int, int] | None = None, *, halves: bool = False
) -> TextCodes | None:
    """The ids ``prefix`` + ``ints`` (as :func:`number_ids` gives them, with their
    ``bounds`` when known) coded by text rank without a sort, or ``None`` when the
    numbers are sparse (the caller sorts).

    Consumes ``ints`` when it returns codes (its buffer holds them); leaves it
    as it was when it returns ``None``. With ``halves``, each row's rank is read
    from the slots in two halves at once (:func:`slot_halves`).
    """
    # The prefix is common: it orders nothing.
    lookup = slot_halves if halves else None
    table = number_text_codes(ints, sort=False, bounds=bounds, lookup=lookup)
    return None if table is None else TextCodes(ints, TextTable(int_array(table), prefix))


def slot_halves(numbers: I64, slot_rank: np.ndarray) -> None:
    """:func:`~.csvtext.slot_lookup` of the two halves of ``numbers`` at once, from
    :data:`_SPLIT` of them (numpy's gathers release the GIL): a frame's ids are coded
    on a thread of their own, beside the other columns, and this takes the second
    core once those are done."""
    half = len(numbers) // 2 if len(numbers) >= _SPLIT else len(numbers)
    if half == len(numbers):
        slot_lookup(numbers, slot_rank)
        return
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(slot_lookup, numbers[half:], slot_rank)
        slot_lookup(numbers[:half], slot_rank)
        second.result()


class NumberIds(NamedTuple):
    """Ids written as ``prefix`` + a plain number: the numbers, the prefix, and
    ``(min, max)`` of the numbers (``(0, -1)`` for none)."""

    numbers: I64
    prefix: str
    bounds: tuple[int, int]


def number_ids(column: Any) -> NumberIds | None:
    """``(numbers, prefix, bounds)`` of ids written as ``prefix`` + plain number, else ``None``.

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
        column = _without_prefix(column, len(prefix.encode("utf-8")))
    if not pc.all(pc.match_substring_regex(column.slice(0, 64), "^[0-9]+$")).as_py():
        return None  # a failing cast is slow: look at the first values first
    ints = fresh_array(len(column), np.int64)  # the codes, in the end
    half = len(column) // 2 if len(column) >= _SPLIT else len(column)
    try:
        if half == len(column):
            found = [_read_numbers(column, ints)]
        else:  # two halves at once: the cast and numpy's passes release the GIL
            with ThreadPoolExecutor(1) as pool:
                second = pool.submit(_read_numbers, column.slice(half), ints[half:])
                found = [_read_numbers(column.slice(0, half), ints[:half]), second.result()]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    spans = [b for b in found if b is not None and b[0] <= b[1]]  # (0, -1): no rows
    if None in found or not spans:
        return None
    return NumberIds(ints, prefix, (min(b[0] for b in spans), max(b[1] for b in spans)))


def _without_prefix(column: Any, size: int) -> Any:
    """Each text of ``column`` without its first ``size`` bytes, a prefix (whole
    characters) that every text begins with: sliced as bytes, in a third of the time
    ``utf8_slice_codeunits`` takes counting characters. A cell of 2**31 bytes or more
    would be cut short there, so stays too long to be read as a number anyway."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = column.type
    raw = pa.large_binary() if pa.types.is_large_string(text) else pa.binary()
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    cut = [pc.binary_slice(c.view(raw), size, 2**31 - 1).view(text) for c in chunks]
    return pa.chunked_array(cut, text)


def _read_numbers(column: Any, out: I64) -> tuple[int, int] | None:
    """Cast the text ``column`` to int64 into ``out``, chunk by chunk (no cast of the
    whole column held at once), and give ``(min, max)`` of the numbers (``(0, -1)``
    for none); ``None`` for a number below 0 or of more than 17 digits, or one written
    with a sign, space or leading zero.

    Raises pyarrow's error for a cell that is not an integer.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    at, low, high = 0, 0, -1
    for text in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        part = out[at : at + len(text)]
        at += len(text)
        if not len(part):
            continue
        part[:] = numpy_of(pc.cast(text, pa.int64()))
        lo, hi = int(part.min()), int(part.max())
        if lo < 0 or hi >= _POWERS[_MAX_DIGITS]:
            return None
        low, high = (lo, hi) if high < low else (min(low, lo), max(high, hi))
        # As many bytes written as the numbers have digits: no sign, space or leading
        # zero. Every number has the digits of the smallest; one more per power reached.
        lo = max(lo, 1)
        digits = len(part) * int(np.searchsorted(_POWERS, lo, side="right"))
        digits += sum(
            int(np.count_nonzero(part >= p)) for p in _POWERS[(lo < _POWERS) & (hi >= _POWERS)]
        )
        if int(pc.sum(pc.binary_length(text)).as_py() or 0) != digits:
            return None
    return low, high
