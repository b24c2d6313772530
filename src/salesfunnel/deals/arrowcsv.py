"""The pyarrow fast path of the CSV loaders, and Arrow text columns as ranked codes.

``DealLog.from_csv`` and ``EventLog.from_csv`` take ``engine=``:

* ``"python"``: the library's own reader (:mod:`salesfunnel._csvio`, the
  standard ``csv`` module), which locates every error;
* ``"arrow"``: ``pyarrow.csv`` parses the body in C++ on every core, then the
  columns are coded with Arrow kernels (needs the ``arrow`` extra);
* ``"auto"`` (the default): ``"arrow"`` when pyarrow is installed.

Both give the same log and the same errors, by one rule: the fast path only
ever *stands aside* (:class:`Unfit`), and the pure reader then reads the file
and raises its located error (path, line, column, value). The header is
always read by the pure reader first, so a missing column is reported before
any row is parsed, on both paths. The fast path stands aside when:

* the source is a file object, not a path, or the encoding is not UTF-8;
* the body holds a quote character, a NUL byte or bytes that are not UTF-8,
  or a line longer than :data:`~salesfunnel._csvio.FIELD_LIMIT`;
* pyarrow refuses a row (more or fewer cells than the header, a blank line
  of spaces) or a cell of a typed column (a time that is not plain ISO
  8601, an amount that is not a plain number);
* any value breaks a rule of the loader (unknown label, blank id, negative
  amount, ...), or the body is empty.

In the common case, a well-formed export, none of this happens and the file
is read natively; what pyarrow cannot locate exactly is left to the reader
that can.
"""

from __future__ import annotations

import codecs
import mmap
import os
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from .._csvio import FIELD_LIMIT, CsvFile, Progress
from ..errors import FunnelDataError

__all__ = [
    "ENGINES",
    "Unfit",
    "fast_fields",
    "int_array",
    "read_body",
    "sorted_text_codes",
    "stripped_dictionary",
    "use_arrow",
]

ENGINES = ("auto", "python", "arrow")
_SCAN = 1 << 24  # bytes checked at a time
# Characters str.strip() removes at either end (Python's whitespace), as an RE2 class.
_EDGE_SPACE = r"^[\x09-\x0d\x1c-\x1f\x85\p{Z}]|[\x09-\x0d\x1c-\x1f\x85\p{Z}]$"
_POW10 = 10 ** np.arange(19, dtype=np.int64)


class Unfit(Exception):  # noqa: N818 - a signal, not an error: the pure reader takes over
    """The fast path stands aside; the pure reader reads the file (and names any error)."""


def _pyarrow_csv() -> Any:
    try:
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    return pacsv


def use_arrow(
    engine: str, source: str | os.PathLike[str] | IO[Any], encoding: str, delimiter: str
) -> bool:
    """Whether ``engine`` and the source let the fast path try."""
    if engine not in ENGINES:
        msg = f"engine must be one of {list(ENGINES)!r} (got {engine!r})"
        raise FunnelDataError(msg, column="engine", value=engine)
    if engine == "python":
        return False
    if _pyarrow_csv() is None:
        if engine == "arrow":
            msg = "engine='arrow' needs pyarrow (pip install 'salesfunnel[arrow]')"
            raise FunnelDataError(msg, column="engine", value=engine)
        return False
    try:
        utf8 = codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False  # the pure reader names the unknown encoding
    plain = len(delimiter) == 1 and delimiter.isascii() and delimiter not in '\r\n"'
    return isinstance(source, (str, os.PathLike)) and utf8 and plain


def fast_fields(
    file: CsvFile,
    wanted: Sequence[str],
    fast: bool,
    progress: Progress | None,
    fields: Callable[[], dict[str, Any]],
) -> dict[str, Any] | None:
    """Check the header of ``file`` for ``wanted``, then the fast path's ``fields()``.

    ``None`` when the pure reader is to read the body (``fast`` false, or the
    fast path stood aside); ``progress`` hears of the whole file at once.
    """
    for c in wanted:
        file.require(c)
    if not fast:
        return None
    try:
        out = fields()
    except Unfit:
        return None  # the pure reader reads the file, and names any error
    if progress is not None:
        size = os.path.getsize(file.source)
        progress(size, size)
    return out


def _body_offset(mm: mmap.mmap, lines: int) -> int:
    """The byte offset after the first ``lines`` physical lines (\\n, \\r\\n or \\r)."""
    at = 0
    for _ in range(lines):
        n, r = mm.find(b"\n", at), mm.find(b"\r", at)
        ends = [e for e in (n, r) if e >= 0]
        if not ends:
            return len(mm)
        at = min(ends) + 1
        if at == r + 1 and mm[at : at + 1] == b"\n":
            at += 1
    return at


def _check_bytes(mm: mmap.mmap, start: int) -> None:
    """Stand aside for a quote, a NUL, a byte that is not UTF-8 or an over-long line."""
    if mm.find(b'"', start) >= 0 or mm.find(b"\0") >= 0:
        raise Unfit
    decoder = codecs.getincrementaldecoder("utf-8")()
    last_end = start - 1
    for at in range(start, len(mm), _SCAN):
        chunk = mm[at : at + _SCAN]
        if not chunk.isascii():
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                raise Unfit from None
        ends = np.flatnonzero(np.frombuffer(chunk, np.uint8) == 10)  # no quotes: a row a line
        if ends.size:
            gaps = np.diff(ends, prepend=last_end - at)
            if int(gaps.max()) > FIELD_LIMIT:
                raise Unfit
            last_end = at + int(ends[-1])
        elif at + len(chunk) - last_end > FIELD_LIMIT:
            raise Unfit
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise Unfit from None
    if len(mm) - last_end > FIELD_LIMIT:
        raise Unfit


def read_body(
    path: str | os.PathLike[str],
    header: Sequence[str],
    header_lines: int,
    types: Mapping[str, Any],
    delimiter: str,
) -> Any:
    """The body's columns ``types`` (name to Arrow type) as a ``pyarrow.Table``.

    ``header`` and ``header_lines`` are what the pure reader found (names
    stripped, physical lines up to the body). Raises :class:`Unfit` when the
    fast path cannot give what the pure reader would.
    """
    pacsv = _pyarrow_csv()
    import pyarrow as pa

    name = os.fspath(path)
    with open(name, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            raise Unfit
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            start = _body_offset(mm, header_lines)
            if start >= len(mm):
                raise Unfit  # header only: the pure reader's empty log
            _check_bytes(mm, start)
    source = pa.memory_map(name)
    source.seek(start)
    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=list(header), block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char=False, newlines_in_values=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict(types),
                include_columns=list(types),
                null_values=[""],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,  # checked above, for every column
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise Unfit from None
    finally:
        source.close()
    if table.num_rows == 0:
        raise Unfit
    return table


def int_array(values: npt.NDArray[np.int64]) -> Any:
    """An int64 numpy array as an Arrow array, without copying (``pa.array`` of numpy
    would import pandas, a second's start-up for the command line)."""
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def _strip(values: list[str]) -> list[str]:
    return [v.strip() for v in values]


def stripped_dictionary(column: Any) -> tuple[list[str], npt.NDArray[np.int32]]:
    """A dictionary-typed column as ``(values stripped, indices)`` into one dictionary."""
    import pyarrow as pa

    if not isinstance(column, pa.ChunkedArray):
        column = pa.chunked_array([column])
    chunks = column.unify_dictionaries().chunks
    if not chunks:
        return [], np.zeros(0, np.int32)
    values = _strip(chunks[0].dictionary.to_pylist())
    index = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
    return values, index.astype(np.int32, copy=False)


def _digit_ids(column: Any) -> tuple[npt.NDArray[np.int64], np.ndarray] | None:
    """Ids written as plain non-negative integers (``0``, ``17``; no sign, no leading zero).

    Their order as text is found from the numbers: pad each to the widest
    (``7`` -> ``700``) and break ties by length (``7`` < ``70`` < ``700``).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        ints = pc.cast(column, pa.int64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if ints.size == 0 or int(ints.min()) < 0 or int(ints.max()) >= 10**17:
        return None
    lo, hi = int(ints.min()), int(ints.max())
    if hi - lo <= 8 * ints.size + 1024:
        counts = np.bincount(ints - lo)
        uniq = np.flatnonzero(counts).astype(np.int64) + lo
        dense = np.cumsum(counts > 0) - 1
        inverse = dense[ints - lo]
        counts = counts[counts > 0]
    else:
        uniq, inverse, counts = np.unique(ints, return_inverse=True, return_counts=True)
    digits = np.searchsorted(_POW10, uniq, side="right").clip(1)
    written = int(pc.sum(pc.binary_length(column)).as_py() or 0)
    if written != int((digits * counts).sum()):
        return None  # some id has a sign, a leading zero or spaces: not its number's text
    width = int(digits.max())
    key = uniq * _POW10[width - digits] * 32 + digits
    order = np.argsort(key, kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    text = pc.cast(int_array(uniq[order]), pa.string()).to_numpy(zero_copy_only=False)
    return rank[inverse], text


def sorted_text_codes(column: Any) -> tuple[npt.NDArray[np.int64], np.ndarray] | None:
    """``(codes, table)`` of an Arrow string column, as ``np.unique`` of the stripped text.

    ``table`` holds the distinct stripped values sorted (an object array of
    ``str``) and ``codes`` each row's place in it. ``None`` when a value is
    null or blank (the caller reports it).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(column, pa.ChunkedArray):
        column = pa.chunked_array([column])
    if column.null_count:
        return None
    digits = _digit_ids(column)
    if digits is not None:
        return digits
    encoded = column.combine_chunks().dictionary_encode()
    words, index = encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)
    if pc.any(pc.match_substring_regex(words, _EDGE_SPACE)).as_py():
        # Rare: some values need str.strip(); equal ones after it share a code.
        stripped = np.array(_strip(words.to_pylist()), dtype=object)
        table, place = np.unique(stripped, return_inverse=True)
        if table.size and table[0] == "":
            return None
        return place.reshape(-1).astype(np.int64)[index], table
    if pc.any(pc.equal(pc.binary_length(words), 0)).as_py():
        return None
    order = pc.sort_indices(words).to_numpy()
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank[index], words.take(order).to_numpy(zero_copy_only=False)
