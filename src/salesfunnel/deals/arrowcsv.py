"""The pyarrow fast path of the CSV loaders, and Arrow text columns as ranked codes.

``DealLog.from_csv`` and ``EventLog.from_csv`` take ``engine=``:

* ``"python"``: the library's own reader (:mod:`salesfunnel._csvio`, the
  standard ``csv`` module), which locates every error;
* ``"arrow"``: ``pyarrow.csv`` parses the body in C++ on every core, then the
  columns are coded with Arrow kernels (needs the ``arrow`` extra);
* ``"auto"`` (the default): ``"arrow"`` for a file of :data:`AUTO_BYTES` or
  more when pyarrow is installed; a smaller file is read sooner by the pure
  reader than pyarrow (and the pandas it imports) can be loaded.

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
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from .._arrays import fresh_array
from .._csvio import FIELD_LIMIT, LINE_LIMIT, CsvFile, Progress
from ..errors import FunnelDataError
from .bytescan import high_bytes
from .csvtext import sparse_text_order
from .textcodes import TextCodes, TextTable, int_array

__all__ = [
    "AUTO_BYTES",
    "ENGINES",
    "Fill",
    "Unfit",
    "dictionary_fills",
    "dictionary_lookup",
    "fast_fields",
    "fresh_array",
    "int_array",
    "long_cell",
    "numpy_fills",
    "numpy_of",
    "read_body",
    "run_fills",
    "sorted_text_codes",
    "stripped_dictionary",
    "text_codes",
    "text_column",
    "use_arrow",
]

ENGINES = ("auto", "python", "arrow")
AUTO_BYTES = 4 << 20
"""Smallest file that ``engine="auto"`` gives to pyarrow (4 MiB)."""
_SCAN = 1 << 24  # bytes checked at a time
_BLOCK = 1 << 24  # bytes pyarrow parses at a time (one chunk of each column)
# Characters str.strip() removes at either end (Python's whitespace), as an RE2 class.
_EDGE_SPACE = r"^[\x09-\x0d\x1c-\x1f\x85\p{Z}]|[\x09-\x0d\x1c-\x1f\x85\p{Z}]$"


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
    if not (isinstance(source, (str, os.PathLike)) and utf8 and plain):
        return False
    try:
        return engine == "arrow" or os.path.getsize(source) >= AUTO_BYTES
    except OSError:
        return False  # the pure reader names the missing file


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
        n = mm.find(b"\n", at)
        r = mm.find(b"\r", at, len(mm) if n < 0 else n)  # not a scan of the whole file
        ends = [e for e in (n, r) if e >= 0]
        if not ends:
            return len(mm)
        at = min(ends) + 1
        if at == r + 1 and mm[at : at + 1] == b"\n":
            at += 1
    return at


def _check_bytes(mm: mmap.mmap, start: int, lines: bool) -> None:
    """Stand aside for a quote, a NUL, a byte that is not UTF-8 or (``lines``) an over-long line."""
    if mm.find(b"\0", 0, start) >= 0:  # the header's; the body's with its quotes below
        raise Unfit
    decoder = codecs.getincrementaldecoder("utf-8")()
    last_end = start - 1
    view = np.frombuffer(mm, np.uint8)  # read in place: no copy of the file
    chunk = view[:0]
    try:
        for at in range(start, len(mm), _SCAN):
            chunk = view[at : at + _SCAN]
            # An ASCII chunk is valid text, unless a character begun before it is pending.
            high = high_bytes(mm, view, at, at + len(chunk))
            if high is None:
                raise Unfit  # a quote or a NUL
            if high or decoder.getstate()[0]:
                try:
                    decoder.decode(mm[at : at + _SCAN])
                except UnicodeDecodeError:
                    raise Unfit from None
            if not lines:
                continue
            ends = np.flatnonzero(chunk == 10)  # no quotes: a row a line
            if ends.size:
                gaps = np.diff(ends, prepend=last_end - at)
                if int(gaps.max()) > FIELD_LIMIT:
                    raise Unfit
                last_end = at + int(ends[-1])
            elif at + len(chunk) - last_end > FIELD_LIMIT:
                raise Unfit
    finally:
        del view, chunk  # the caller closes the map: no view of it may outlive this call
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise Unfit from None
    if lines and len(mm) - last_end > FIELD_LIMIT:
        raise Unfit


def long_cell(table: Any) -> bool:
    """True when a text cell of ``table`` is longer than the pure reader's limit."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for column in table.columns:
        for chunk in column.chunks:
            text = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
            longest = pc.max(pc.binary_length(text)) if pa.types.is_string(text.type) else None
            if longest is not None and (longest.as_py() or 0) > FIELD_LIMIT:
                return True
    return False


def read_body(
    path: str | os.PathLike[str],
    header: Sequence[str],
    header_lines: int,
    types: Mapping[str, Any],
    delimiter: str,
    *,
    cells_checked: bool = True,
) -> Any:
    """The body's columns ``types`` (name to Arrow type) as a ``pyarrow.Table``.

    ``header`` and ``header_lines`` are what the pure reader found (names
    stripped, physical lines up to the body). Raises :class:`Unfit` when the
    fast path cannot give what the pure reader would; without ``cells_checked``,
    the caller asks :func:`long_cell` of the table itself (beside other work).
    """
    pacsv = _pyarrow_csv()
    name = os.fspath(path)
    with open(name, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            raise Unfit
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            start = _body_offset(mm, header_lines)
            if start >= len(mm):
                raise Unfit  # header only: the pure reader's empty log
            # Without quotes a line is a row: its cells bound its length, and only text
            # cells can be long (pyarrow refuses a long time); other columns need a scan.
            scan = set(header) != set(types) or len(header) * FIELD_LIMIT > LINE_LIMIT
            scan = scan or not all(_bounded(t) for t in types.values())
            # The byte check runs beside the parse (pyarrow releases the GIL); the
            # parse's table is used only if the check passes, and the check's Unfit
            # comes first, as if it had run before. Leaving the pool waits for the
            # check, so the map outlives it whatever is raised.
            with ThreadPoolExecutor(1) as pool:
                check = pool.submit(_check_bytes, mm, start, scan)
                try:
                    table = _parse(pacsv, name, start, header, types, delimiter)
                except Exception:
                    check.result()
                    raise
                check.result()
    if table.num_rows == 0 or (not scan and cells_checked and long_cell(table)):
        raise Unfit
    return table


def _parse(
    pacsv: Any,
    name: str,
    start: int,
    header: Sequence[str],
    types: Mapping[str, Any],
    delimiter: str,
) -> Any:
    """pyarrow's read of the body from byte ``start`` (see :func:`read_body`)."""
    import pyarrow as pa

    source = pa.memory_map(name)
    source.seek(start)
    try:
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=list(header), block_size=_BLOCK),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char=False, newlines_in_values=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict(types),
                include_columns=list(types),
                null_values=[""],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,  # checked beside, for every column
            ),
            # The C allocator's pool: its freed blocks are reused by the next parse and
            # by numpy, where mimalloc's (pyarrow's default) faulted fresh pages in
            # each time (0.7 to 1.6 s of system time for 400 MB on a busy machine).
            memory_pool=pa.system_memory_pool(),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise Unfit from None
    finally:
        source.close()


def _bounded(kind: Any) -> bool:
    """Text (its length is checked after reading) or a time (pyarrow refuses a long one)."""
    import pyarrow as pa

    return bool(pa.types.is_string(kind) or pa.types.is_dictionary(kind)) or bool(
        pa.types.is_timestamp(kind)
    )


def _numpy_type(kind: Any) -> np.dtype[Any] | None:
    """The numpy type of an Arrow integer or zone-less timestamp type, else ``None``."""
    import pyarrow as pa

    if pa.types.is_integer(kind):
        return np.dtype(f"{'i' if pa.types.is_signed_integer(kind) else 'u'}{kind.bit_width // 8}")
    if pa.types.is_timestamp(kind) and kind.tz is None:
        return np.dtype(f"datetime64[{kind.unit}]")
    return None


def numpy_of(values: Any, *, writable: bool = False) -> np.ndarray:
    """An Arrow array or chunked array as numpy, as ``values.to_numpy(zero_copy_only=False)``.

    Integers and zone-less timestamps without nulls are read from their
    buffers (a view of a single chunk, else one copy): ``to_numpy`` imports
    pandas on first use, a quarter of a second or more of a fresh process
    (the command line) that no Arrow-to-numpy conversion of the CSV path
    needs. Anything else goes through ``to_numpy``. With ``writable``, the
    result is an array of its own (copied once, never twice).
    """
    import pyarrow as pa

    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    kind = _numpy_type(values.type)
    if kind is None or any(c.null_count for c in chunks):
        out: np.ndarray = values.to_numpy(zero_copy_only=False)
        return np.array(out) if writable and not out.flags.writeable else out
    parts = [
        np.frombuffer(c.buffers()[1], kind, len(c), c.offset * kind.itemsize)
        for c in chunks
        if len(c)
    ]
    if len(parts) == 1:
        return np.array(parts[0]) if writable else parts[0]
    return np.concatenate(parts) if parts else np.empty(0, kind)


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
    index = np.concatenate([numpy_of(c.indices) for c in chunks])
    return values, index.astype(np.int32, copy=False)


def dictionary_lookup(column: Any, lookup: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Per row of a dictionary-typed column, ``lookup(values)[index]`` (``values`` and
    ``index`` as :func:`stripped_dictionary` gives them), gathered chunk by chunk into
    one array: no array of every row's index is made."""
    out, fills = dictionary_fills(column, lookup)
    for fill in fills:
        fill()
    return out


Fill = Callable[[], None]
"""One part of a column's conversion: fills its slice of the result (numpy's
copy or gather, which releases the GIL, so fills run on any thread at once)."""


def dictionary_fills(
    column: Any, lookup: Callable[[list[str]], np.ndarray]
) -> tuple[np.ndarray, list[Fill]]:
    """:func:`dictionary_lookup` in parts: its result, not yet filled, and one
    :data:`Fill` per chunk, to be run in any order. ``lookup`` runs here, once."""
    import pyarrow as pa

    if not isinstance(column, pa.ChunkedArray):
        column = pa.chunked_array([column])
    chunks = column.unify_dictionaries().chunks
    table = lookup(_strip(chunks[0].dictionary.to_pylist()) if chunks else [])
    out = fresh_array(len(column), table.dtype)
    fills: list[Fill] = []
    at = 0
    for chunk in chunks:
        part = out[at : at + len(chunk)]
        at += len(chunk)
        fills.append(partial(_gather, table, chunk.indices, part))
    return out, fills


def _gather(table: np.ndarray, indices: Any, out: np.ndarray) -> None:
    np.take(table, numpy_of(indices), out=out, mode="clip")  # unbuffered


def numpy_fills(values: Any) -> tuple[np.ndarray, list[Fill]]:
    """:func:`numpy_of` in parts: its result and one :data:`Fill` per chunk (none
    when the result is already whole: one chunk, or a type read by ``to_numpy``)."""
    import pyarrow as pa

    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    kind = _numpy_type(values.type)
    if len(chunks) < 2 or kind is None or any(c.null_count for c in chunks):
        return numpy_of(values), []
    out = fresh_array(len(values), kind)
    fills: list[Fill] = []
    at = 0
    for chunk in chunks:
        part = out[at : at + len(chunk)]
        at += len(chunk)
        fills.append(partial(np.copyto, part, numpy_of(chunk)))
    return out, fills


def run_fills(fills: list[Fill]) -> None:
    """Run the :data:`Fill` s of ``fills`` until none is left; threads running this on
    one list share it (``list.pop`` is atomic: each fill runs once, on one thread)."""
    while True:
        try:
            fill = fills.pop()
        except IndexError:
            return
        fill()


def _many_distinct(column: Any) -> bool:
    """Whether the first rows hold many distinct values (ids), not a few (labels, owners).

    Ids go the way of numbers (:func:`_digit_ids`, no hash of the text); a
    column of few values is hashed sooner than its text is parsed.
    """
    import pyarrow.compute as pc

    head = column.slice(0, 4096)
    return 4 * len(pc.unique(head)) > len(head)


def _digit_ids(column: Any) -> TextCodes | None:
    """Ids written as a common prefix and a plain non-negative integer (``17``, ``D17``).

    Their order as text follows from the numbers (see :mod:`.idcodes`, which
    also reads them): dense numbers are ranked there without a sort; sparse
    ones are padded to the widest (``7`` -> ``700``) with ties broken by
    length (``7`` < ``70`` < ``700``) and sorted. The table is left in Arrow,
    numbers and prefix (a :class:`TextTable`).
    """
    from .idcodes import dense_number_codes, number_ids  # idcodes imports this module

    numbers = number_ids(column)
    if numbers is None:
        return None
    ints, prefix, bounds = numbers
    dense = dense_number_codes(ints, prefix, bounds)
    if dense is not None:
        return dense
    codes, ordered = sparse_text_order(ints)
    return TextCodes(codes, TextTable(int_array(ordered), prefix))


def sorted_text_codes(
    column: Any, *, blanks: bool = False, lazy: bool = False, ids: bool = False
) -> tuple[npt.NDArray[np.int64], Any] | None:
    """``(codes, table)`` of an Arrow text column, as ``np.unique`` of the stripped text.

    ``table`` holds the distinct stripped values sorted (an object array of
    ``str``, in code point order as numpy sorts; with ``lazy``, a
    :class:`TextTable` of them) and ``codes`` each row's place in it. With
    ``blanks``, a null or blank cell is ``''``; without, ``None`` is returned
    for one (the caller reports it), and also for a value holding a NUL
    (numpy's text arrays drop trailing NULs). ``ids`` says the column holds
    ids (an event log's entities): numbers are tried first whatever the first
    rows look like (a log sorted by user repeats each id a few times).
    """
    coded = _sorted_codes(column, blanks, ids)
    if coded is None:
        return None
    codes = coded.codes.astype(np.int64, copy=False)
    return codes, coded.table if lazy else coded.texts()


def _sorted_codes(column: Any, blanks: bool, ids: bool = False) -> TextCodes | None:
    """:func:`sorted_text_codes` as :class:`TextCodes`: the table left in Arrow where
    it can be, the codes in the smallest integer type that holds them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(column, pa.ChunkedArray):
        column = pa.chunked_array([column])
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.large_string())
    if column.null_count:
        if not blanks:
            return None
        column = pc.fill_null(column, "")
    digits = _digit_ids(column) if ids or _many_distinct(column) else None
    if digits is not None:
        return digits
    whole = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()  # a copy
    encoded = whole.dictionary_encode()
    words, index = encoded.dictionary, numpy_of(encoded.indices)
    if pc.any(pc.match_substring(words, "\0")).as_py():
        return None
    if pc.any(pc.match_substring_regex(words, _EDGE_SPACE)).as_py():
        # Rare: some values need str.strip(); equal ones after it share a code.
        stripped = np.array(_strip(words.to_pylist()), dtype=object)
        table, place = np.unique(stripped, return_inverse=True)
        if table.size and table[0] == "" and not blanks:
            return None
        return TextCodes(place.reshape(-1).astype(np.int64)[index], table)
    if not blanks and pc.any(pc.equal(pc.binary_length(words), 0)).as_py():
        return None
    order = numpy_of(pc.sort_indices(words))
    # Ranks in the smallest type that holds them: a column of few values (labels,
    # owners) then costs a byte or two per row.
    rank = np.empty(len(order), np.min_scalar_type(max(len(order) - 1, 0)))
    rank[order] = np.arange(len(order))
    return TextCodes(rank[index], TextTable(words.take(order)))


def text_column(values: Any) -> Any:
    """``values`` (an Arrow, polars or pandas column) as an Arrow text column, or ``None``.

    ``None`` for a column that is not all text (numbers, mixed objects),
    which the converters read value by value as before.
    """
    import pyarrow as pa

    if hasattr(values, "to_arrow"):  # polars
        values = values.to_arrow()
    elif not isinstance(values, (pa.Array, pa.ChunkedArray)):
        if getattr(values, "dtype", None) is None or values.dtype.kind not in "OU":
            return None  # pandas' "string" dtype has kind "O" too
        try:
            values = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return None
    kind = values.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    textual = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    return values if textual or pa.types.is_string_view(kind) else None


def text_codes(values: Any, *, blanks: bool, lazy: bool = False) -> TextCodes | None:
    """A DataFrame's or Table's text column factorised by Arrow, or ``None``.

    With ``lazy``, the table of values may stay in Arrow (a :class:`TextTable`).

    ``None`` without pyarrow, for a column that is not text, and (unless
    ``blanks``) for one with a blank cell: the converters then read it value
    by value, and name the bad cell.
    """
    if _pyarrow_csv() is None:
        return None
    column = text_column(values)
    if column is None or len(column) == 0:
        return None  # an empty column has no type to keep: the converters' empty log
    coded = _sorted_codes(column, blanks)
    if coded is None or lazy:
        return coded
    return TextCodes(coded.codes, coded.texts())
