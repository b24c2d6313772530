"""The one CSV reader, and where a record sits for error messages.

:func:`read_csv` reads a header, lets the caller check the columns it needs
*before* the body is parsed, then reads the body with :meth:`CsvFile.read`.
Every problem is a :class:`~salesfunnel.FunnelDataError` naming the file, the
line (header = line 1) and, where there is one, the column and the value:

* bytes that are not valid in the encoding: the line and the byte offset in
  the *file*; a UTF-8 byte order mark (Excel's "CSV UTF-8") is skipped;
* a NUL byte (no text CSV holds one): refused where it is met, without
  reading on;
* a cell over :data:`FIELD_LIMIT` characters, a physical line over
  :data:`LINE_LIMIT` characters, a file that ends inside a quoted cell;
* a row with more cells than the header (an unquoted ``1,200``); a row with
  fewer cells is read with blank cells;
* a header naming one column twice.

Lines that hold nothing at all are skipped but counted.
"""

from __future__ import annotations

import array
import codecs
import contextlib
import csv
import io
import itertools
import operator
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from ._csvplain import Feed as _Feed, split_plain
from ._format import near_name
from .errors import NO_VALUE, FunnelDataError

__all__ = [
    "FIELD_LIMIT",
    "IN_MEMORY",
    "LINE_LIMIT",
    "CsvBatch",
    "CsvFile",
    "CsvTable",
    "Rows",
    "delimiter_hint",
    "header_hint",
    "open_csv",
    "read_csv",
    "read_header",
]

FIELD_LIMIT = 131_072
"""Longest cell, in characters (the :mod:`csv` module's own default limit)."""
LINE_LIMIT = 16 * 1024 * 1024
"""Longest physical line, in characters."""
_CHUNK = 1 << 16
_BATCH = 1 << 14  # rows parsed at a time

Progress = Callable[[int, int | None], None]
"""``progress(bytes_read, total_bytes_or_None)``, called after each chunk read."""


class Rows:
    """Where record ``k`` of a column sits, for messages and error attributes.

    In memory a record is ``row i`` (0-based); read from a file it is ``line n``
    of the file (header = line 1, as :mod:`csv` counts). ``taken(keep)``
    follows a selection, so record ``k`` of the selection is reported as the
    input row it came from.
    """

    __slots__ = ("_lines", "_map", "source")

    def __init__(
        self,
        source: str | None = None,
        lines: Sequence[int] | None = None,
        _map: npt.NDArray[np.int64] | None = None,
    ) -> None:
        self.source = source
        self._lines = lines
        self._map = _map

    def taken(self, index: npt.NDArray[np.int64]) -> Rows:
        mapped = index if self._map is None else self._map[index]
        return Rows(self.source, self._lines, mapped)

    def index(self, k: int) -> int:
        return k if self._map is None else int(self._map[k])

    def text(self, k: int) -> str:
        """``row i`` or ``line n``, without the file: a note about another line
        of the same file does not repeat the path."""
        i = self.index(k)
        return f"row {i}" if self._lines is None else f"line {self._lines[i]}"

    def error(
        self,
        k: int,
        detail: str,
        *,
        column: str | None = None,
        value: object = NO_VALUE,
        note: str | None = None,
    ) -> FunnelDataError:
        """``[<file>, ]<where>[, column 'c']: <detail>[ (<note>)]``, located also by attributes.

        A file's path leads the message, so that a traceback names the file
        (``deals.csv, line 4, column 'amount': ...``) as well as ``source``.
        ``note`` speaks in the library's terms (``pass drop_unknown=True``,
        another record's ``row i``), so it stays out of ``detail``: a caller
        that numbers rows its own way, like the command line, gives its own.
        """
        i = self.index(k)
        where = self.text(k) if column is None else f"{self.text(k)}, column {column!r}"
        if self.source is not None:
            where = f"{self.source}, {where}"
        tail = "" if note is None else f" ({note})"
        return FunnelDataError(
            f"{where}: {detail}{tail}",
            source=self.source,
            index=i,
            line=None if self._lines is None else self._lines[i],
            column=column,
            value=value,
            detail=detail,
        )


IN_MEMORY = Rows()


@dataclass(frozen=True, slots=True)
class CsvTable:
    """The body of a CSV file: the wanted columns as lists of text, and each row's line."""

    source: str
    header: tuple[str, ...]
    columns: dict[str, list[str]]
    lines: Sequence[int]

    @property
    def rows(self) -> Rows:
        return Rows(self.source, self.lines)


@dataclass(frozen=True, slots=True)
class CsvBatch:
    """Consecutive rows of a CSV body: the wanted columns as text, and where each row sits."""

    columns: Mapping[str, list[str]]  # a PlainCells for a run of plain lines
    rows: Rows


class _Lines:
    """The physical lines of a file, decoded, with byte offsets kept for errors."""

    def __init__(
        self, fh: IO[Any], source: str, encoding: str, progress: Progress | None, total: int | None
    ) -> None:
        self.fh = fh
        self.source = source
        self.progress = progress
        self.total = total
        self.read = 0  # bytes (binary files) or characters (text files) read so far
        self.line = 1  # physical line of the next character
        self.newlines = 0  # \n in the last block
        self.binary = isinstance(fh.read(0), bytes)
        try:
            self.decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        except LookupError:
            msg = f"{source}: unknown encoding {encoding!r}"
            raise FunnelDataError(msg, source=source, column="encoding", value=encoding) from None
        self.bom = codecs.lookup(encoding).name == "utf-8"

    def _error(self, detail: str, value: object = NO_VALUE) -> FunnelDataError:
        return FunnelDataError(
            f"{self.source}, line {self.line}: {detail}",
            source=self.source,
            line=self.line,
            value=value,
            detail=detail,
        )

    def _decode(self, chunk: bytes, final: bool) -> tuple[str, FunnelDataError | None]:
        """The chunk's text, and the error of a bad byte with the text before it.

        The error waits until the lines before the bad byte have been read, so
        a header's verdict (a missing column) comes before a bad byte below it.
        """
        start = self.read - len(chunk)
        state = self.decoder.getstate()
        pending = len(state[0])
        try:
            return str(self.decoder.decode(chunk, final)), None
        except UnicodeDecodeError as exc:
            offset = start - pending + exc.start
            bad = exc.object[exc.start : exc.end]
            # Lines before the bad byte in this chunk: the error's line is the bad byte's.
            line = self.line + chunk[: max(exc.start - pending, 0)].count(b"\n")
            advice = "pass encoding= (e.g. 'latin-1')"
            if offset == 0 and chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
                # Excel's "Unicode text" and some exports: latin-1 would read it as garbage.
                advice = "the file begins with a UTF-16 byte order mark: pass encoding='utf-16'"
            detail = (
                f"byte {bad!r} at byte offset {offset} of the file is not valid "
                f"{exc.encoding} ({exc.reason}); {advice}"
            )
            error = FunnelDataError(
                f"{self.source}, line {line}: {detail}",
                source=self.source,
                line=line,
                value=bad,
                detail=detail,
            )
            try:  # decoded from the same state, so a byte order mark is dropped as usual
                fresh = type(self.decoder)()
                fresh.setstate(state)
                before = str(fresh.decode(chunk[: max(exc.start - pending, 0)]))
            except UnicodeDecodeError:
                before = ""
            return before, error

    def blocks(self) -> Iterator[str]:
        """The text of each chunk read, cut after its last whole line (line ends kept).

        A closing ``\\r`` waits for the next chunk, whose ``\\n`` may belong to it. After
        a bad byte, the whole lines before it come first (the last one held
        back, as ever), then the error.
        """
        tail = ""
        first = True
        while True:
            chunk = self.fh.read(_CHUNK)
            self.read += len(chunk)
            if self.progress is not None:
                self.progress(self.read, self.total)
            text, error = self._decode(chunk, not chunk) if self.binary else (chunk, None)
            if first and text:
                first = False
                if self.bom and text.startswith("\ufeff"):
                    text = text[1:]
            if "\0" in text:
                self.line += text[: text.index("\0")].count("\n")
                raise self._error("a NUL character: this is not a text CSV file")
            if error is not None:
                yield "".join(list(io.StringIO(tail + text, newline=""))[:-1])  # whole lines only
                raise error
            if not chunk:
                if tail:
                    yield tail
                return
            # Line ends as open(newline="") finds them (\n, \r\n, \r); the last piece waits
            # for its line end, and so does a closing \r whose \n may open the next chunk.
            whole = tail + text
            cut = max(whole.rfind("\n"), whole.rfind("\r", 0, len(whole) - 1)) + 1
            block, tail = whole[:cut], whole[cut:]
            if len(tail) > LINE_LIMIT:
                raise self._error(f"a line longer than {LINE_LIMIT:,} characters")
            self.newlines = block.count("\n")  # for the Feed, which stops at a count of them
            self.line += self.newlines
            if "\r" in block:
                self.line += block.count("\r") - block.count("\r\n")
            yield block


def _counted_lines(rows: list[list[str]], before: int) -> list[int]:
    """Each row's (last) line when a quoted cell spans lines: csv keeps no count per row."""
    counted, line = [], before
    for row in rows:
        line += 1 + sum(_breaks(cell) for cell in row if "\n" in cell or "\r" in cell)
        counted.append(line)
    return counted


def _breaks(cell: str) -> int:
    """Line breaks in a cell (\\r\\n, \\n and \\r each count once, as csv counts lines)."""
    return cell.count("\n") + cell.count("\r") - cell.count("\r\n")


class CsvFile:
    """A CSV file whose header has been read; see :func:`read_header`."""

    def __init__(self, lines: _Lines, header: tuple[str, ...], reader: Any, feed: _Feed) -> None:
        self._lines = lines
        self.header = header
        self.source = lines.source
        self._reader = reader
        self._feed = feed
        self._delimiter = str(reader.dialect.delimiter)
        self.lines: Sequence[int] = range(0)

    @property
    def header_lines(self) -> int:
        """Physical lines read up to the end of the header (blank lines above it included)."""
        return int(self._reader.line_num)

    def require(self, column: str, hint: str = "") -> None:
        """Raise a located error unless the header names ``column``."""
        if column not in self.header:
            if not hint and (other := header_hint(self.header, self._delimiter)):
                hint = f"; {other}"
            near = near_name(column, self.header)
            detail = f"no column {column!r} (header is {list(self.header)!r}){near}{hint}"
            raise FunnelDataError(
                f"{self.source}: {detail}",
                source=self.source,
                line=1,
                column=column,
                detail=detail,
            )

    def read(self, wanted: Sequence[str]) -> CsvTable:
        """The body: the columns ``wanted`` (each must be in the header), as text."""
        columns: dict[str, list[str]] = {c: [] for c in dict.fromkeys(wanted)}
        for batch in self.batches(wanted):
            for c, cells in batch.columns.items():
                columns[c].extend(cells)
        return CsvTable(self.source, self.header, columns, self.lines)

    def batches(self, wanted: Sequence[str]) -> Iterator[CsvBatch]:
        """The body in batches of at most 16,384 rows: the columns ``wanted`` as text.

        Each batch's :class:`Rows` locates its records in the whole body, so
        a caller that converts a batch as soon as it is read (and lets the
        text go) names the right line. :attr:`lines` holds every row's line
        once the batches are exhausted.

        A batch of plain lines (no quotes, each as wide as the header) is cut
        by :func:`_split`; any other is read by ``csv.reader``, so the rows,
        their lines and every error are those of one ``csv.reader`` pass.
        """
        for c in wanted:
            self.require(c)
        feed = self._feed
        width = len(self.header)
        index = {h: i for i, h in enumerate(self.header)}
        places = {c: index[c] for c in dict.fromkeys(wanted)}
        lines = array.array("q")  # 8 bytes a row once they are not a range
        line = self._reader.line_num  # physical lines read so far
        first = line + 1  # the first body line
        simple = True  # so far each row is one line: the line numbers are a range
        done = 0  # rows yielded so far
        while True:
            # Batches bound the memory: only the wanted cells outlive a batch.
            start = line
            text = feed.text(_BATCH)
            split = None
            if feed.error is None:
                limit = csv.field_size_limit()
                split = split_plain(text, _BATCH, width, self._delimiter, places, limit)
            if split is not None:
                plain, rest = split
                feed.unread_text(rest)
                line += plain.rows
                batch_lines: Sequence[int] = range(start + 1, line + 1)
                if not simple:
                    lines.extend(batch_lines)
                self.lines = range(first, line + 1) if simple else lines
                at = np.arange(done, done + plain.rows, dtype=np.int64)
                done += plain.rows
                yield CsvBatch(plain, Rows(self.source, self.lines, at))
                continue
            text_lines = list(io.StringIO(text, newline=""))
            del text
            reader = csv.reader(
                itertools.chain(text_lines, feed.lines()), delimiter=self._delimiter, strict=True
            )
            try:
                rows = list(itertools.islice(reader, _BATCH))  # parsed in C
            except csv.Error as exc:
                raise self._csv_error(exc, start + reader.line_num) from None
            if reader.line_num < len(text_lines):
                feed.unread_lines(text_lines[reader.line_num :])
            line += reader.line_num
            del text_lines
            if not rows:
                break
            if simple and line - start != len(rows):
                simple = False
                lines = array.array("q", range(first, start + 1))
            batch_lines = range(start + 1, line + 1) if simple else _counted_lines(rows, start)
            if set(map(len, rows)) != {width}:  # one C pass, not a generator
                rows, batch_lines = self._fit(rows, batch_lines, width)
                if simple:
                    simple = False
                    lines = array.array("q", range(first, start + 1))
            if not simple:
                lines.extend(batch_lines)
            self.lines = range(first, line + 1) if simple else lines
            if rows:
                at = np.arange(done, done + len(rows), dtype=np.int64)
                picks = {c: operator.itemgetter(i) for c, i in places.items()}
                cells = {c: list(map(pick, rows)) for c, pick in picks.items()}
                done += len(rows)
                del rows
                yield CsvBatch(cells, Rows(self.source, self.lines, at))
        self.lines = range(first, line + 1) if simple else lines

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """The body row by row as ``(line, cells)``, unpadded, for callers with their own rules."""
        reader = self._reader
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as exc:
            raise self._csv_error(exc, reader.line_num) from None

    def _fit(
        self, rows: list[list[str]], lines: Sequence[int], width: int
    ) -> tuple[list[list[str]], list[int]]:
        """Drop blank lines, pad short rows with blank cells, refuse long ones."""
        kept, kept_lines = [], []
        for row, line in zip(rows, lines, strict=True):
            if len(row) != width:
                if not row:
                    continue
                if len(row) > width:
                    raise self._too_many(row, line)
                row = row + [""] * (width - len(row))
            kept.append(row)
            kept_lines.append(line)
        return kept, kept_lines

    def _too_many(self, row: list[str], line: int) -> FunnelDataError:
        detail = (
            f"{len(row)} cells in a row under a header of {len(self.header)} "
            f'(quote a cell that holds the delimiter, such as "1,200")'
        )
        return FunnelDataError(
            f"{self.source}, line {line}: {detail}",
            source=self.source,
            line=line,
            value=row,
            detail=detail,
        )

    def _csv_error(self, exc: csv.Error, line: int) -> FunnelDataError:
        text = str(exc)
        if "field larger than field limit" in text:
            detail = f"a cell longer than {FIELD_LIMIT:,} characters"
        elif "unexpected end of data" in text:
            detail = "the file ends inside a quoted cell (a missing closing quote?)"
        else:
            detail = f"malformed CSV ({text})"
        return FunnelDataError(
            f"{self.source}, line {line}: {detail}", source=self.source, line=line, detail=detail
        )


def read_header(
    fh: IO[Any],
    name: str,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    progress: Progress | None = None,
    total: int | None = None,
) -> CsvFile:
    """Read the header of an open file; the body follows with :meth:`CsvFile.read`."""
    if len(delimiter) != 1 or delimiter in '\r\n"':
        msg = (
            f"delimiter must be one character other than a quote or line break (got {delimiter!r})"
        )
        raise FunnelDataError(msg, column="delimiter", value=delimiter)
    lines = _Lines(fh, name, encoding, progress, total)
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    feed = _Feed(lines.blocks(), lambda: lines.newlines)
    reader = csv.reader(feed.lines(), delimiter=delimiter, strict=True)
    file = CsvFile(lines, (), reader, feed)
    try:
        raw = next(reader, None)
        while raw is not None and not raw:
            raw = next(reader, None)
    except csv.Error as exc:
        raise file._csv_error(exc, reader.line_num) from None
    if raw is None or not any(h.strip() for h in raw):
        detail = "the file is empty (expected a header line naming the columns)"
        raise FunnelDataError(f"{name}: {detail}", source=name, line=1, detail=detail)
    header = tuple(h.strip() for h in raw)
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            detail = f"the header names column {h!r} twice"
            raise FunnelDataError(
                f"{name}, line 1: {detail}", source=name, line=1, column=h, value=h, detail=detail
            )
        seen.add(h)
    file.header = header
    return file


@contextlib.contextmanager
def open_csv(
    source: str | os.PathLike[str] | IO[Any],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    progress: Progress | None = None,
) -> Iterator[CsvFile]:
    """A CSV file (a path, or an open file object left open) whose header has been read."""
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        total = os.path.getsize(name)
        with open(name, "rb") as fh:
            yield read_header(
                fh, name, encoding=encoding, delimiter=delimiter, progress=progress, total=total
            )
        return
    name = str(getattr(source, "name", "<file>"))
    yield read_header(source, name, encoding=encoding, delimiter=delimiter, progress=progress)


def read_csv(
    source: str | os.PathLike[str] | IO[Any],
    wanted: Sequence[str] | Callable[[CsvFile], Sequence[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    progress: Progress | None = None,
) -> CsvTable:
    """Read the columns ``wanted`` of a CSV file, checking them against the header first.

    ``wanted`` may be a callable that receives the :class:`CsvFile` (its
    ``header``, and ``require(column, hint)`` for a message of the caller's
    own) and returns the columns to read: that is where a caller decides on
    optional columns before any row is parsed.
    """
    with open_csv(source, encoding=encoding, delimiter=delimiter, progress=progress) as file:
        return file.read(wanted(file) if callable(wanted) else wanted)


def header_hint(header: Sequence[str], delimiter: str) -> str:
    """Why a header may lack a column: a spreadsheet's ``sep=;`` line above it, or a
    one-column header holding another delimiter (:func:`delimiter_hint`); else ``""``."""
    if header and header[0].lower().startswith("sep="):
        first = delimiter.join(header)
        hint = f"the first line {first!r} is a spreadsheet's delimiter line, not a header"
        named = "\t" if first.lower() == "sep=" else first[4:]  # a tab was stripped as space
        if len(named) == 1 and named != delimiter:
            return f"{hint}: delete it and pass delimiter={named!r}"
        return f"{hint}: delete it"
    return delimiter_hint(header[0], delimiter) if len(header) == 1 else ""


def delimiter_hint(header: str, delimiter: str) -> str:
    """A hint when a one-column header holds another common delimiter (a TSV read as CSV)."""
    for other, name in (("\t", "'\\t'"), (";", "';'"), ("|", "'|'"), (",", "','")):
        if other != delimiter and other in header:
            return f"the header holds {header.count(other)} {name}: pass delimiter={name}"
    return ""
