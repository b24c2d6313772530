"""Deal (or entity) codes per row from an id column of any kind, and their table.

:func:`dense_ids` is the one place every constructor turns ids into codes:
integers in a compact range are kept as the codes; other integers, text and
mixed columns are ranked through a sorted table. A float id is the integer
it is while a float holds every integer there (below 2**53 for 64-bit
floats); from there on neighbouring integers share one float, so ids that
differed may already have become one, and the id is refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .._arrays import private
from .._csvio import Rows
from .._time import is_blank
from ..errors import FunnelDataError
from .csvtext import digit_ids, number_text_codes
from .textcodes import TextCodes, TextTable

__all__ = ["dense_ids"]

I64 = npt.NDArray[np.int64]


# Per float type, its significand's bits: from 2**bits on, neighbouring integers share
# one float (a float id there may stand for several ids).
_BITS: dict[type, int] = {float: 53, np.float64: 53, np.float32: 24, np.float16: 11}
_BITS[np.longdouble] = int(np.finfo(np.longdouble).nmant) + 1  # 64 on x86, else 53 or 113


def _digit_texts(values: list[Any]) -> tuple[I64, np.ndarray, int] | None:
    """:func:`dense_ids` of text ids that are all plain digits (see ``csvtext.digit_ids``):
    ranked as text, as ``np.unique`` of the text ranks them; ``None`` for other cells."""
    if set(map(type, values)) != {str}:
        return None
    numbers = digit_ids(values)
    if numbers is None:
        return None
    table = number_text_codes(numbers)
    assert table is not None  # sorted when sparse
    return numbers, np.array(list(map(str, table.tolist())), dtype=object), 0


def dense_ids(
    values: object, column: str, where: Rows, what: str = "deal id"
) -> tuple[I64, np.ndarray | TextTable | None, int]:
    """Integer deal codes per row, plus how to map codes back to ids.

    Returns ``(keys, table, offset)``: the deal code of a key is ``key -
    offset`` and its id ``table[code]``, or the key itself when ``table`` is
    None. Integer ids in a compact range are kept as they are (no copy, no
    sort, no table: the cheap path for big logs); other ids are ranked
    through a sorted table. Integers beyond int64 (20-digit unsigned ids)
    are kept exact, as Python integers in the table.
    """
    if isinstance(values, TextCodes) and len(values):  # the source library found the ids
        coded = values.compact()
        return coded.codes.astype(np.int64, copy=False), coded.table, 0
    arr = np.zeros(0, dtype=object) if isinstance(values, TextCodes) else np.asarray(values)
    if arr.dtype.kind == "u" and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
        arr = arr.astype(object)
    if arr.dtype.kind in "iu":
        ids = arr.astype(np.int64, copy=False)
        if ids.size == 0:
            return np.zeros(0, np.int64), ids, 0
        lo, hi = int(ids.min()), int(ids.max())
        if hi - lo <= 8 * ids.size + 1024:  # kept: never a view the caller may write
            return private(ids, arr), None, lo
        table, inverse = np.unique(ids, return_inverse=True)
        return inverse.astype(np.int64).reshape(-1), table, 0
    if arr.dtype.kind in "OU" and len(arr):
        digits = _digit_texts(arr.tolist())
        if digits is not None:
            return digits
    bits = _BITS.get(arr.dtype.type) if arr.size else None
    if bits is not None:  # a float column (float32's bound is below float64's)
        lost = ~(np.abs(arr) < 2.0**bits)  # NaN: blank, below
        lost &= ~np.isnan(arr)
        if lost.any():
            i = int(np.flatnonzero(lost)[0])
            raise _inexact_id(where, i, arr[i], bits, column, what)
    obj = arr.astype(object)
    for i, v in enumerate(obj):
        if is_blank(v):
            raise where.error(i, f"missing {what} (got {v!r})", column=column, value=v)
        bits = _BITS.get(type(v))  # a float (in a column of mixed types)
        if bits is not None and not abs(v) < 2.0**bits:
            raise _inexact_id(where, i, v, bits, column, what)
        if (isinstance(v, float) and v.is_integer()) or isinstance(v, np.integer):
            obj[i] = int(v)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in obj):
        if all(-(2**63) <= v < 2**63 for v in obj):
            return dense_ids(obj.astype(np.int64), column, where)
        table, inverse = np.unique(obj, return_inverse=True)
        return inverse.astype(np.int64).reshape(-1), table.astype(object), 0
    strs = np.array([str(v).strip() if isinstance(v, str) else str(v) for v in obj], dtype=str)
    table, inverse = np.unique(strs, return_inverse=True)
    return inverse.astype(np.int64).reshape(-1), table.astype(object), 0


def _inexact_id(where: Rows, i: int, v: Any, bits: int, column: str, what: str) -> FunnelDataError:
    """A float id of 2**``bits`` or more (its type's significand bits): there neighbouring
    integers share one float, so ids that differed may already have become one."""
    detail = (
        f"{what} {float(v)!r} is a float of 2**{bits} or more, where floats lose digits: "
        "distinct ids may already have become one (pandas makes floats of an integer "
        "column with a blank cell)"
    )
    note = "read the ids as text or as integers, e.g. pandas dtype 'string' or 'Int64'"
    return where.error(i, detail, column=column, value=v, note=note)
