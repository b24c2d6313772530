"""The text columns of a DataFrame or Table, coded with their source library's help.

The frame constructors (:meth:`DealLog.from_arrow`, ``from_polars``,
``from_pandas`` and :class:`~salesfunnel.events.log.EventLog`'s) code each
text column (ids, labels, owners) into :class:`~.textcodes.TextCodes`
(:func:`coded_frame`). Two ways here make that cheaper without changing a
code, each stepping aside for the general path
(:func:`~.idcodes.frame_codes`) where it does not apply:

* :func:`object_codes` codes a pandas column of Python strings with few
  distinct values by :func:`pandas.factorize` (which reads each string's
  cached hash) and then codes only the distinct strings the usual way, by
  Arrow (:func:`~.arrowcsv.text_codes`): converting every row to Arrow first
  costs about twice as much. Whether a column is coded, and into what, depends
  only on its set of distinct values, so the distinct values alone give the
  same table and the same codes (tested against the general path). Where
  the column holds few *objects* (pandas and pyarrow give equal strings one
  object), the rows are numbered by the objects' addresses instead, a hash
  of integers, and each object is read once.
* :func:`dictionary_codes` codes a dictionary column (Arrow's, a polars
  Categorical or Enum) through the dictionary entries its rows use, without
  decoding every row to text and hashing it again.

A long column of text ids is coded on a second thread while this one codes the
labels and owners (:func:`coded_frame`).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from .arrowcsv import _pyarrow_csv, numpy_of, text_codes, text_column
from .idcodes import frame_codes
from .textcodes import TextCodes, int_array

__all__ = ["coded_frame", "column_codes", "dictionary_codes", "object_codes"]

_HEAD = 4096  # rows looked at to tell ids (many values) from labels (few)
_STEP = 1 << 16  # rows per step of the search for each object's first row
_BESIDE = 1 << 18  # rows from which a frame's ids are coded on a second thread


def object_codes(values: Any, *, blanks: bool) -> TextCodes | None:
    """A pandas column of ``str`` objects with few distinct values, factorised by pandas.

    Returns what :func:`~.arrowcsv.text_codes` of the whole column gives (the
    table an object array of ``str``), or ``None`` when this way does not
    apply: not an object column, a value that is not exactly ``str``, many
    distinct values in the first rows (ids: hashing millions of Python
    strings is slower than converting them), a missing value where blanks are
    refused, or a column the general path would leave to the converters. The
    caller then takes the general path. A missing value (``None``, NaN,
    ``pd.NA``, ``pd.NaT``: Arrow's nulls) is a blank cell, ``''``.
    """
    if getattr(values, "dtype", None) != np.dtype(object) or _pyarrow_csv() is None:
        return None  # pandas' "string" and Arrow-backed columns go to Arrow without a copy
    arr = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    if not len(arr):
        return None
    import pandas as pd

    head = arr[:_HEAD]
    addresses = _addresses(arr)
    if addresses is not None and 4 * len(pd.unique(addresses[:_HEAD])) <= len(head):
        # Few objects, each on many rows (pandas and pyarrow share one object among
        # equal strings): numbered by address, a hash of integers, then read once each.
        codes, first = pd.factorize(addresses)
        seen = arr[_first_rows(codes, len(first))].tolist()
        if not all(type(u) is str or _null(u) for u in seen) or all(map(_null, seen)):
            return None  # not text, or no text at all: the general path
        distinct = [u if type(u) is str else "" for u in seen]  # a missing value: blank
        if not blanks and len(distinct) != sum(type(u) is str for u in seen):
            return None
    else:
        if 4 * len(pd.unique(head)) > len(head):
            return None
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
        distinct = np.asarray(uniques, dtype=object).tolist()
        if not distinct or not all(type(u) is str for u in distinct):
            return None  # no text (Arrow's null type), or a number among it: the general path
        if int(codes.min()) < 0:
            missing = arr[codes < 0]
            if not blanks or not all(_null(v) for v in missing.tolist()):
                return None
            codes[codes < 0] = len(distinct)
            distinct.append("")  # Arrow's null, filled with a blank by the general path
    coded = text_codes(np.array(distinct, dtype=object), blanks=blanks)
    if coded is None:
        return None
    small = np.asarray(coded.codes).astype(np.min_scalar_type(len(distinct) - 1))
    return TextCodes(small[codes], coded.texts())


def _addresses(arr: np.ndarray) -> npt.NDArray[np.uintp] | None:
    """The addresses of the objects of an object array (a read-only view of its
    pointers, valid while ``arr`` holds them), or ``None`` for a strided array.
    Equal addresses are one object, so one value; equal values may have several."""
    if not arr.flags.c_contiguous or arr.dtype != np.dtype(object):
        return None
    pointers = (ctypes.c_size_t * len(arr)).from_address(arr.ctypes.data)
    view: npt.NDArray[np.uintp] = np.frombuffer(memoryview(pointers), np.uintp)
    view.flags.writeable = False
    return view


def _first_rows(codes: npt.NDArray[np.intp], count: int) -> npt.NDArray[np.intp]:
    """A row holding each of the codes ``0 .. count - 1``, numbered in order of first
    appearance: read in steps up to the step where the last code first appears."""
    rows = np.zeros(count, np.intp)
    for start in range(0, len(codes), _STEP):
        part = codes[start : start + _STEP]
        rows[part] = np.arange(start, start + len(part))
        if int(part.max()) == count - 1:
            break  # every code before the last appeared before it
    return rows


def _null(value: object) -> bool:
    """Whether ``pyarrow.array(..., from_pandas=True)`` reads ``value`` as null."""
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return type(value) is float and value != value


def column_codes(
    values: Any, *, blanks: bool, ids: bool = False, objects: bool = False
) -> TextCodes | None:
    """A frame's text column coded as :func:`~.idcodes.frame_codes` codes it; with
    ``objects`` (a pandas frame), labels and owners by :func:`object_codes` first."""
    if not ids:
        few = object_codes(values, blanks=blanks) if objects else None
        if few is None and _dictionary_typed(values):
            few = dictionary_codes(values, blanks)
        if few is not None:
            return few
    return frame_codes(values, blanks=blanks, ids=ids)


def _dictionary_typed(values: Any) -> bool:
    """Whether ``values`` is an Arrow dictionary column, a polars Categorical or Enum,
    or a pandas categorical, read from its type alone (no conversion)."""
    kind = getattr(values, "type", None) or getattr(values, "dtype", None)
    return type(kind).__name__ in ("DictionaryType", "Categorical", "Enum", "CategoricalDtype")


def dictionary_codes(values: Any, blanks: bool) -> TextCodes | None:
    """A dictionary column (Arrow's, a polars Categorical or Enum) coded through its dictionary.

    Only the dictionary entries some row uses are coded, the usual way
    (:func:`~.arrowcsv.text_codes`), and each row takes its entry's code:
    what coding the decoded column gives, without decoding it. A null row is
    a blank cell (``''``), as the general path fills it. ``None`` when this
    way does not apply (not a dictionary column, or one the general path
    would leave to the converters).
    """
    column = None if _pyarrow_csv() is None else text_column(values)
    if column is None or not len(column):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(column.type):
        return None
    chunks = pa.chunked_array([column] if isinstance(column, pa.Array) else column.chunks)
    try:
        chunks = chunks.unify_dictionaries().chunks
    except pa.ArrowInvalid:  # a null in a dictionary of several
        return None
    words = chunks[0].dictionary
    null = len(words)  # a null row's entry: a blank appended to the dictionary
    index = np.concatenate(
        [
            numpy_of(pc.fill_null(c.indices.cast(pa.int64()), null) if c.null_count else c.indices)
            for c in chunks
        ]
    ).astype(np.intp, copy=False)  # any index type (uint64 too) bincount reads
    used = np.flatnonzero(np.bincount(index, minlength=null + 1))
    if used[-1] == null and not blanks:
        return None  # a blank: the converters name it
    entries = pa.concat_arrays([words.cast(pa.large_string()), pa.array([""], pa.large_string())])
    coded = text_codes(entries.take(int_array(used)), blanks=blanks)
    if coded is None:
        return None
    lookup = np.zeros(null + 1, np.min_scalar_type(max(len(used) - 1, 0)))
    lookup[used] = coded.codes
    return TextCodes(lookup[index], coded.texts())


def coded_frame(
    wanted: Sequence[str],
    time: str,
    text: Mapping[str, tuple[bool, bool]],
    source: Callable[[str], Any],
    get: Callable[[str], tuple[Any, bool]],
    *,
    objects: bool = False,
) -> tuple[dict[str, Any], bool]:
    """The columns ``wanted`` of a frame, and whether its ``time`` column is zone-aware.

    Each column of ``text`` (name to ``(blanks, ids)``) is coded by
    :func:`column_codes` from ``source(c)``, the frame's own column, where it
    can be; any other column, or one left uncoded, is ``get(c)[0]``
    (``get(c)`` is ``(values, aware)``). Text ids of :data:`_BESIDE` rows or
    more are coded on a second thread (as Arrow text: a pandas column's Python
    strings are converted first, on this thread, as that holds the GIL) while
    this one codes the other text columns: Arrow's kernels and numpy's loops
    release the GIL.
    """
    ids = next((c for c, (_, is_id) in text.items() if is_id), None)
    column = None if ids is None or len(text) < 2 else _long_text(source(ids))
    pool = beside = None
    if ids is not None and column is not None:
        pool = ThreadPoolExecutor(1)
        beside = pool.submit(column_codes, column, blanks=text[ids][0], ids=True)
    coded: dict[str, TextCodes | None] = {}
    try:
        for c, (blanks, is_id) in text.items():
            if beside is None or c != ids:
                coded[c] = column_codes(source(c), blanks=blanks, ids=is_id, objects=objects)
        if beside is not None and ids is not None:
            coded[ids] = beside.result()
    except BaseException:
        if beside is not None:
            beside.result()  # the ids come first in ``text``: so does their error
        raise
    finally:
        if pool is not None:
            pool.shutdown()
    data = {c: coded.get(c) for c in wanted}
    return {c: get(c)[0] if v is None else v for c, v in data.items()}, get(time)[1]


def _long_text(values: Any) -> Any:
    """A frame's column of :data:`_BESIDE` rows or more for the ids' thread, or ``None``
    for a shorter column or one that is not text: an Arrow column as it is, a polars
    one too (converted on that thread), a pandas one as an Arrow text column, converted
    here (Python strings: that holds the GIL)."""
    try:
        rows = len(values)
    except TypeError:
        return None
    if rows < _BESIDE or _pyarrow_csv() is None:
        return None
    if hasattr(values, "to_arrow"):  # polars
        kind = values.dtype
        return None if kind.is_numeric() or kind.is_temporal() else values
    return text_column(values)
