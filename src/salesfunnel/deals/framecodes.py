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
  same table and the same codes (tested against the general path).
* :func:`dictionary_codes` codes a dictionary column (Arrow's, a polars
  Categorical or Enum) through the dictionary entries its rows use, without
  decoding every row to text and hashing it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .arrowcsv import _pyarrow_csv, numpy_of, text_codes, text_column
from .idcodes import frame_codes
from .textcodes import TextCodes, int_array

__all__ = ["coded_frame", "column_codes", "dictionary_codes", "object_codes"]

_HEAD = 4096  # rows looked at to tell ids (many values) from labels (few)


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
    (``get(c)`` is ``(values, aware)``).
    """
    coded = {
        c: column_codes(source(c), blanks=blanks, ids=ids, objects=objects)
        for c, (blanks, ids) in text.items()
    }
    data = {c: coded.get(c) for c in wanted}
    return {c: get(c)[0] if v is None else v for c, v in data.items()}, get(time)[1]
