"""Plain CSV lines: the unread body of a file, and the fast split of plain lines.

:class:`Feed` holds what :mod:`salesfunnel._csvio` has not read yet, as text
for :func:`split_plain` or line by line for ``csv.reader``. A run of plain
lines (no quote, no lone ``\\r``, each as wide as the header) needs none of
csv's rules: :func:`split_plain` checks that with a few numpy passes over
the bytes and returns the cells as :class:`PlainCells`, which splits them
into text only when asked (once) and gives a column's bytes to whole-column
readers (:mod:`salesfunnel.deals.csvtext`) without making a string per cell.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping

import numpy as np
import numpy.typing as npt

from .errors import FunnelDataError

__all__ = ["Feed", "PlainCells", "split_plain"]

_AHEAD = 1 << 23  # characters gathered at most for one batch of the fast split
_MASKS = np.array([(1 << 8 * k) - 1 for k in range(9)], np.uint64)  # the first k bytes


class Feed:
    """The unread body: whole lines, as text for the fast split or line by line for csv.

    Text given back (:meth:`unread_text`, :meth:`unread_lines`) is read again
    first. An error of reading (a bad byte, a NUL, a long line) waits until the
    lines before it have been read, as it would in one ``csv.reader`` pass.
    """

    def __init__(self, blocks: Iterator[str], newlines: Callable[[], int]) -> None:
        self._blocks = blocks
        self._newlines = newlines  # \n in the block last read (counted once, by the reader)
        self.error: FunnelDataError | None = None
        self._text = ""  # unread text (whole lines), read before the blocks
        self._lines: list[str] = []  # unread lines, read before the text
        self._at = 0

    def _block(self) -> str | None:
        try:
            return next(self._blocks)
        except StopIteration:
            return None
        except FunnelDataError as exc:
            self.error = exc
            return None

    def lines(self) -> Iterator[str]:
        """The unread lines one by one (line ends kept), for a ``csv.reader``."""
        while True:
            if self._at < len(self._lines):
                self._at += 1
                yield self._lines[self._at - 1]
                continue
            text = self._text or self._block()
            self._text = ""
            if text is None:
                if self.error is not None:
                    raise self.error
                return
            self._lines, self._at = list(io.StringIO(text, newline="")), 0

    def text(self, rows: int) -> str:
        """Unread text of at least ``rows`` lines ended by ``\\n`` (fewer only at the end
        of the file, before a read error, or past :data:`_AHEAD` characters)."""
        parts = ["".join(self._lines[self._at :]), self._text]
        self._lines, self._at, self._text = [], 0, ""
        count, size = sum(p.count("\n") for p in parts), sum(map(len, parts))
        while count < rows and size < _AHEAD:
            block = self._block()
            if block is None:
                break
            parts.append(block)
            count += self._newlines()
            size += len(block)
        return "".join(parts)

    def unread_text(self, text: str) -> None:
        self._text = text

    def unread_lines(self, lines: list[str]) -> None:
        self._lines, self._at = lines, 0


class PlainCells(Mapping[str, list[str]]):
    """The wanted columns of a run of plain lines: as text (``cells[name]``, split on first
    use) or as bytes (:meth:`column_bytes`), which a whole-column reader takes without
    making a string per cell."""

    def __init__(
        self,
        raw: npt.NDArray[np.uint8],
        bounds: list[npt.NDArray[np.int64]],
        places: dict[str, int],
        split: Callable[[], list[str]],
    ) -> None:
        self._raw = raw
        self._bounds = bounds  # cell j of row i is raw[bounds[j][i] + 1 : bounds[j + 1][i]]
        self._places = places
        self._split = split
        self._width = len(bounds) - 1
        self._text: dict[str, list[str]] | None = None
        self._padded: npt.NDArray[np.uint8] | None = None  # raw with room for a last window

    def __len__(self) -> int:
        return len(self._places)

    def __iter__(self) -> Iterator[str]:
        return iter(self._places)

    @property
    def rows(self) -> int:
        return len(self._bounds[0])

    def __getitem__(self, name: str) -> list[str]:
        if self._text is None:
            cells, stop, width = self._split(), self.rows * self._width, self._width
            self._text = {c: cells[j:stop:width] for c, j in self._places.items()}
        return self._text[name]

    def _cells_at(
        self, name: str, index: npt.NDArray[np.intp] | None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        j = self._places[name]
        begin, end = self._bounds[j] + 1, self._bounds[j + 1]
        if index is not None:
            begin, end = begin[index], end[index]
        return begin, end - begin

    def _room(self, after: int) -> npt.NDArray[np.uint8]:
        """The bytes with at least ``after`` NUL bytes after them, for a last window."""
        if self._padded is None or len(self._padded) < len(self._raw) + after:
            self._padded = np.zeros(len(self._raw) + max(after, 64), np.uint8)
            self._padded[: len(self._raw)] = self._raw
        return self._padded

    def column_keys(
        self, name: str, index: npt.NDArray[np.intp] | None = None
    ) -> npt.NDArray[np.uint64] | None:
        """Each cell of a column of short cells as one integer: its bytes, NUL-padded to 8,
        read little-endian (one unaligned 8-byte load a row); ``None`` for a cell over 8 bytes."""
        begin, sizes = self._cells_at(name, index)
        if len(sizes) and int(sizes.max()) > 8:
            return None
        room = self._room(8)
        words = np.ndarray((len(room) - 7,), np.dtype("<u8"), buffer=room, strides=(1,))
        keys: npt.NDArray[np.uint64] = words[begin] & _MASKS[sizes]
        return keys

    def column_bytes(
        self, name: str, longest: int, index: npt.NDArray[np.intp] | None = None
    ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]] | None:
        """``(cells, sizes)``: the column's UTF-8 bytes, one row each padded with NUL bytes
        (the rows at ``index`` only, if given), and each cell's size; ``None`` when a cell is
        longer than ``longest`` bytes."""
        begin, sizes = self._cells_at(name, index)
        wide = int(sizes.max()) if len(sizes) else 0
        if wide > longest:
            return None
        # Each cell's bytes as one row of a sliding window: one copy of `wide` bytes a row.
        cells = np.lib.stride_tricks.sliding_window_view(self._room(longest), wide)[begin]
        if len(sizes) and int(sizes.min()) < wide:  # NUL past each cell's end
            np.multiply(cells, np.arange(wide) < sizes[:, None], out=cells, casting="unsafe")
        return cells, sizes


def split_plain(
    text: str, rows: int, width: int, delimiter: str, places: dict[str, int], limit: int
) -> tuple[PlainCells, str] | None:
    """The first ``rows`` lines of ``text`` split at the delimiter, as ``csv.reader``
    would split them, and the text after them; ``None`` when csv's rules could
    make any difference: a quote, a lone ``\\r``, a blank line, a line of another
    width than the header's, a line that may hold a cell over the ``limit``.

    The checks are a few numpy passes over the bytes; the cells are then one
    ``str.split`` when asked for, much cheaper than ``csv.reader``'s row lists.
    """
    if width < 2 or ord(delimiter) > 127:
        return None
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a text file object
        return None
    codes = np.frombuffer(raw, np.uint8)
    ends = np.flatnonzero(codes == 10)
    cut = len(raw)
    if len(ends) >= rows:
        ends = ends[:rows]
        cut = int(ends[-1]) + 1
    elif raw and raw[-1] != 10:  # the last line of the file, without a line end
        ends = np.append(ends, len(raw))
    head = codes[:cut]
    n = len(ends)
    if n == 0 or raw.find(b'"', 0, cut) >= 0:  # find: memchr, no array
        return None
    crlf = raw.find(b"\r", 0, cut) >= 0
    if crlf:
        returns = np.flatnonzero(head == 13)
        after = returns + 1
        if after[-1] >= cut or (head[after] != 10).any():
            return None  # a line ended by \r alone
    cuts = np.flatnonzero(head == ord(delimiter))
    if len(cuts) != n * (width - 1):
        return None
    starts = np.empty(n, np.int64)
    starts[0] = -1
    starts[1:] = ends[:-1]
    grid = cuts.reshape(n, width - 1)
    if (grid[:, 0] <= starts).any() or (grid[:, -1] >= ends).any():
        return None
    if int((ends - starts).max()) > limit:
        return None
    if len(raw) == len(text):  # ASCII: characters are bytes
        body, rest = text[:cut], text[cut:]
    else:
        body, rest = raw[:cut].decode("utf-8"), raw[cut:].decode("utf-8")

    def split() -> list[str]:
        plain = body.replace("\r\n", "\n") if crlf else body
        return plain.replace("\n", delimiter).split(delimiter)

    last = ends - (head[ends - 1] == 13) if crlf else ends  # before a \r\n
    bounds = [starts, *grid.T, last]
    return PlainCells(head, bounds, places, split), rest
