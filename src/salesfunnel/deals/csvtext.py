"""Whole-column conversions of text cells, for the CSV reader's plain batches.

Each function reads a column of ``str`` cells with a few numpy passes (or
one C-level ``map``) where the cell-by-cell converters of
:mod:`~salesfunnel.deals.columns` would loop in Python, and returns ``None``
whenever its narrow shape does not hold: the caller then takes the
cell-by-cell path, which gives the result, or the located error. A fast
path therefore never decides anything the slow one would decide otherwise;
``tests/deals/test_csv_fast.py`` checks each against it on random columns.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "NumberTable",
    "TextCoder",
    "dense_text_ranks",
    "digit_ids",
    "digit_matrix",
    "distinct_cells",
    "distinct_keys",
    "iso_fixed",
    "iso_matrix",
    "number_text_codes",
    "one_width",
    "text_floats",
    "text_ranks",
]

_POW10 = 10 ** np.arange(19, dtype=np.int64)  # 10**0 .. 10**18: a number's width

_SLICE = 1 << 16  # cells read at a time from a whole column
_POWERS = 10 ** np.arange(19, dtype=np.int64)  # 10**0 .. 10**18
_SAMPLE = 256  # keys whose distinct values start the hash table of a few-valued column
_FEW = 1024  # more distinct keys than this: a sort
_MULTIPLIERS = np.array(  # odd 64-bit constants (golden ratio, splitmix64, murmur3)
    [0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xFF51AFD7ED558CCD], np.uint64
)


def iso_fixed(values: Sequence[str]) -> npt.NDArray[np.datetime64] | None:
    """``YYYY-MM-DD`` cells, or ``YYYY-MM-DDTHH:MM:SS`` ones (``T`` or a space), as seconds.

    All cells must share one of the two shapes, with ASCII digits and a real
    day and time of day (year 1 or later, hour 0-23, no leap second): then
    ``datetime.fromisoformat`` reads each cell to the same second, and the
    digits are read here without it. ``None`` for anything else. A long
    column is read in slices, so that its bytes are never all held at once.
    """
    n = len(values)
    try:
        width = len(values[0]) if n else 0
        if width not in (10, 19) or set(map(len, values)) != {width}:
            return None
    except TypeError:  # a cell that is not text
        return None
    out = np.empty(n, "datetime64[s]")
    for at in range(0, n, _SLICE):
        try:
            raw = "".join(values[at : at + _SLICE]).encode("ascii")
        except (TypeError, UnicodeEncodeError):  # not text, or not ASCII
            return None
        part = iso_matrix(np.frombuffer(raw, np.uint8).reshape(-1, width))
        if part is None:
            return None
        out[at : at + len(part)] = part
    return out


def _number(cells: npt.NDArray[np.uint8], places: Sequence[int]) -> npt.NDArray[np.int64] | None:
    """The decimal number written by the digits at ``places`` of each row; ``None`` for a
    non-digit."""
    out = np.zeros(len(cells), np.int64)
    for p in places:
        digit = cells[:, p] - np.uint8(48)  # a non-digit wraps above 9
        if (digit > 9).any():
            return None
        out *= 10
        out += digit
    return out


def iso_matrix(cells: npt.NDArray[np.uint8]) -> npt.NDArray[np.datetime64] | None:
    """:func:`iso_fixed` of cells given as bytes, one row each, all 10 or all 19 wide."""
    width = cells.shape[1]
    if width not in (10, 19) or not len(cells):
        return None
    if (cells[:, 4] != 45).any() or (cells[:, 7] != 45).any():
        return None
    if width == 19:
        sep = cells[:, 10]
        if ((sep != 84) & (sep != 32)).any() or (cells[:, 13] != 58).any():
            return None
        if (cells[:, 16] != 58).any():
            return None
    year, month, day = (_number(cells, p) for p in ((0, 1, 2, 3), (5, 6), (8, 9)))
    if year is None or month is None or day is None:
        return None
    if year.min() < 1 or month.min() < 1 or month.max() > 12 or day.min() < 1:
        return None
    first = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    start = first.astype("datetime64[D]")
    if (day > ((first + 1).astype("datetime64[D]") - start).astype(np.int64)).any():
        return None
    seconds = (start.astype(np.int64) + day - 1) * 86400
    if width == 19:
        hour, minute, second = (_number(cells, p) for p in ((11, 12), (14, 15), (17, 18)))
        if hour is None or minute is None or second is None:
            return None
        if hour.max() > 23 or minute.max() > 59 or second.max() > 59:
            return None
        seconds += hour * 3600 + minute * 60 + second
    out: npt.NDArray[np.datetime64] = seconds.view("datetime64[s]")
    return out


def text_floats(values: Sequence[str]) -> npt.NDArray[np.float64] | None:
    """``float()`` of every cell (all ``str``), in one C-level pass; ``None`` if one refuses."""
    try:
        return np.fromiter(map(float, values), np.float64, len(values))
    except ValueError:
        return None


def digit_ids(values: Sequence[str]) -> npt.NDArray[np.int64] | None:
    """Ids written as 1 to 18 ASCII digits without a leading zero, as their numbers.

    Such a text and its number name each other, so the numbers stand for the
    ids (order aside: see :func:`text_ranks`). ``None`` for any other cell.
    """
    n = len(values)
    try:
        raw = "".join(values).encode("ascii")
    except (TypeError, UnicodeEncodeError):
        return None
    codes = np.frombuffer(raw, np.uint8)
    if ((codes - np.uint8(48)) > 9).any():
        return None
    sizes = np.fromiter(map(len, values), np.int64, n)
    if n and (sizes.min() < 1 or sizes.max() > 18):
        return None
    starts = np.cumsum(sizes) - sizes
    if ((codes[starts] == 48) & (sizes > 1)).any():
        return None  # '007' is not the id '7'
    return np.fromiter(map(int, values), np.int64, n)


def digit_matrix(
    cells: npt.NDArray[np.uint8], sizes: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64] | None:
    """:func:`digit_ids` of cells given as bytes, one row each padded with NUL bytes."""
    if not len(sizes) or sizes.min() < 1 or cells.shape[1] > 18:
        return None
    width = cells.shape[1]
    same = int(sizes.min()) == width
    digits = cells - np.uint8(48)  # a non-digit wraps above 9
    if not same:
        digits[np.arange(width) >= sizes[:, None]] = 0  # the padding reads as zeros
    if (digits > 9).any() or ((cells[:, 0] == 48) & (sizes > 1)).any():
        return None
    # Digit by digit, each a vector op (an integer matrix product has no fast loop); a
    # short cell read with its padding is its number times a power of ten.
    numbers = np.zeros(len(sizes), np.int64)
    for k in range(width):
        numbers *= 10
        numbers += digits[:, k]
    if not same:
        numbers //= _POWERS[width - sizes]
    return numbers


def distinct_cells(
    cells: npt.NDArray[np.uint8],
) -> tuple[list[str], npt.NDArray[np.intp]]:
    """``(texts, inverse)``: the distinct cells of a column given as padded bytes, decoded,
    and each row's place among them (ordered by their bytes)."""
    rows, wide = cells.shape
    if wide == 0:
        return [""], np.zeros(rows, np.intp)
    if wide <= 8:  # as big-endian integers: the same order, a faster sort
        packed = np.zeros((rows, 8), np.uint8)
        packed[:, :wide] = cells
        keys, inverse = _unique(packed.view(">u8").reshape(-1))
        texts = [k.to_bytes(8, "big").rstrip(b"\0").decode("utf-8") for k in keys.tolist()]
    else:
        words, inverse = np.unique(
            np.ascontiguousarray(cells).view(f"S{wide}").reshape(-1), return_inverse=True
        )
        texts = [w.decode("utf-8") for w in words.tolist()]
    return texts, inverse.reshape(-1)


def distinct_keys(keys: npt.NDArray[np.uint64]) -> tuple[list[str], npt.NDArray[np.intp]]:
    """:func:`distinct_cells` of cells given as little-endian keys (``PlainCells.column_keys``)."""
    few, inverse = _unique(keys)
    return [k.to_bytes(8, "little").rstrip(b"\0").decode("utf-8") for k in few.tolist()], inverse


def _unique(keys: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]]:
    """``np.unique(keys, return_inverse=True)``; for a column of few values (labels,
    owners), each key is found by a multiplicative hash into a small table of the
    distinct keys, checked against the key, rather than by a sort of all.

    The table starts from the first keys; the keys it misses (an owner first
    seen further down the batch) are added and the search repeated, so a
    batch of twenty owners is not sorted whole because one of them is absent
    from its first rows. Many distinct keys end in the sort.
    """
    few = np.unique(keys[:_SAMPLE])
    for _ in range(3):
        if len(few) > _FEW:
            break
        place = _hashed(few, keys)
        if place is None:
            break
        missed = few[place] != keys
        count = int(np.count_nonzero(missed))
        if count == 0:
            return few, place
        if count > len(keys) // 8:
            break
        few = np.union1d(few, keys[missed])
    every, inverse = np.unique(keys, return_inverse=True)
    return every, inverse.reshape(-1)


def _hashed(
    few: npt.NDArray[np.uint64], keys: npt.NDArray[np.uint64]
) -> npt.NDArray[np.intp] | None:
    """Each key's slot among ``few`` (distinct, sorted) by a multiplicative hash with no
    two of ``few`` in one slot, or ``None`` when no multiplier separates them. A key not
    in ``few`` gets some slot: the caller checks ``few[place] == keys``."""
    if not len(few):
        return None
    bits = len(few).bit_length() + 2
    shift = np.uint64(64 - bits)
    for multiplier in _MULTIPLIERS:
        slots = (few * multiplier) >> shift
        if len(np.unique(slots)) == len(few):  # no two share a slot
            table = np.zeros(1 << bits, np.intp)
            table[slots] = np.arange(len(few))
            place: npt.NDArray[np.intp] = table[(keys * multiplier) >> shift]
            return place
    return None


def number_text_codes(
    numbers: npt.NDArray[np.int64],
    *,
    sort: bool = True,
    bounds: tuple[int, int] | None = None,
    lookup: Callable[[npt.NDArray[np.int64], np.ndarray], None] | None = None,
) -> npt.NDArray[np.int64] | None:
    """Number ids (>= 0, at most 18 digits) coded by the rank of their text, in place.

    Each entry of ``numbers`` becomes its id's rank among the distinct ids
    sorted as text (as ``np.unique`` of the texts ranks them); returns that
    table, the distinct numbers in text order. Numbers in a compact range (ids
    counted up, as CRMs give them) are marked in a table of the range and ranked
    by :func:`dense_text_ranks` (most of the range held) or :func:`text_ranks`,
    with no sort; sparse ones are sorted by ``np.unique``
    first, or, without ``sort``, left as they are and ``None`` returned.
    ``bounds`` is ``(numbers.min(), numbers.max())`` when the caller knows them;
    ``lookup(numbers, slot_rank)`` replaces the slots by their ranks (by default
    :func:`slot_lookup`, on this thread).
    """
    n = len(numbers)
    if bounds is None:
        bounds = (int(numbers.min()), int(numbers.max())) if n else (0, -1)
    lo, hi = bounds
    if hi - lo > 8 * n + 1024:
        if not sort:
            return None
        distinct, inverse = np.unique(numbers, return_inverse=True)
        rank = text_ranks(distinct)
        numbers[:] = rank[inverse.reshape(-1)]
        table = np.empty_like(distinct)
        table[rank] = distinct
        return table
    if lo:
        numbers -= lo
    present = np.zeros(hi - lo + 1, np.bool_)
    present[numbers] = True
    values = np.flatnonzero(present)
    values += lo  # the distinct numbers, ascending (their slots again below)
    # Fresh pages cost more than the arithmetic here (a tenth of a second for 100 MB
    # on a busy machine), so one table of the range, as narrow as the ranks, holds the
    # running counts of the ranking and then each slot's rank (absent slots are left
    # unset: no row reads them), and the rows are looked up a slice at a time.
    scratch = np.empty(hi - lo + 2, np.int32 if len(values) < 2**31 else np.int64)
    rank, table = slot_text_ranks(present, lo, values, scratch)
    del present
    values -= lo
    slot_rank = scratch[:-1]
    slot_rank[values] = rank
    del values, rank
    (lookup or slot_lookup)(numbers, slot_rank)
    return table


def slot_lookup(numbers: npt.NDArray[np.int64], slot_rank: np.ndarray) -> None:
    """Each of ``numbers`` (a slot) replaced by its slot's rank, a slice at a time."""
    for at in range(0, len(numbers), _SLICE):
        part = numbers[at : at + _SLICE]
        part[:] = slot_rank[part]


def slot_text_ranks(
    present: npt.NDArray[np.bool_], lo: int, values: npt.NDArray[np.int64], scratch: np.ndarray
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The rank of each of the distinct ``values`` (``present`` marks them in the range
    from ``lo``) among their texts, and the values in text order; ``scratch`` (one more
    item than the range) may be overwritten."""
    if len(present) <= 2 * len(values):  # most slots held: counts beat binary searches
        rank = dense_text_ranks(present, lo, values, scratch=scratch)
    else:
        rank = text_ranks(values)
    table = np.empty_like(values)
    table[rank] = values
    return rank, table


def _digits(number: int) -> int:
    return len(str(int(number)))


def one_width(numbers: npt.NDArray[np.int64]) -> bool:
    """True when ``numbers`` (>= 0) all have one number of digits (or there are none):
    their texts then sort as the numbers do."""
    return not len(numbers) or _digits(numbers.min()) == _digits(numbers.max())


def text_ranks(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Each of ``numbers`` (distinct, ascending, >= 0, at most 18 digits) by the rank of
    its text among their texts sorted as strings, without a sort.

    Numbers of one number of digits keep their order. A number ``v`` of ``d``
    digits comes after a number ``u`` of ``e < d`` digits when ``u <= v //
    10**(d - e)`` (``12`` before ``120``: a prefix comes first), and after one
    of ``e > d`` digits when ``u < v * 10**(e - d)``. Each span of one number of
    digits is sorted, so each count is a ``searchsorted`` of sorted keys.
    """
    n = len(numbers)
    ranks = np.arange(n, dtype=np.int64)
    if one_width(numbers):
        return ranks
    edges = [0, *np.searchsorted(numbers, _POWERS[1:]).tolist(), n]
    spans = [(d + 1, a, b) for d, (a, b) in enumerate(itertools.pairwise(edges)) if b > a]
    for d, a, b in spans:
        values, out = numbers[a:b], ranks[a:b]
        out -= a
        for e, lo, hi in spans:
            if e > d:
                out += np.searchsorted(numbers[lo:hi], values * _POWERS[e - d], side="left")
            elif e < d:
                out += np.searchsorted(numbers[lo:hi], values // _POWERS[d - e], side="right")
    return ranks


def dense_text_ranks(
    present: npt.NDArray[np.bool_],
    lo: int,
    values: npt.NDArray[np.int64],
    *,
    scratch: npt.NDArray[np.signedinteger] | None = None,
) -> npt.NDArray[np.int64]:
    """:func:`text_ranks` of ``values``, the numbers ``lo + i`` where ``present[i]``
    (ascending, >= 0, at most 18 digits), by lookups in running counts of the range.

    ``below(x)``, the count of present numbers ``<= x``, is an entry of the running
    sum of ``present``; the numbers of ``e`` digits before a number ``v`` of ``d``
    digits as text are those ``<= v // 10**(d - e)`` (``e < d``: a prefix comes
    first) or ``< v * 10**(e - d)`` (``e > d``), less those of fewer than ``e``
    digits. Each bound is monotone in ``v``, so the lookups read the running sum
    in order: no binary search, as :func:`text_ranks` makes for sparse numbers.
    The counts over the shorter prefixes are summed once per distinct prefix
    (:func:`_prefix_counts`), not once per number and prefix length.
    The running counts are written to ``scratch`` (``len(present) + 1`` integers
    wide enough for ``len(values)``) when given; when every number of the range is
    present they are the offsets themselves, and no table is made.
    """
    n = len(values)
    if one_width(values):
        return np.arange(n, dtype=np.int64)
    size = len(present)
    if n == size:  # the whole range held (ids counted up): the counts are the offsets

        def below(x: npt.NDArray[np.int64] | int) -> Any:  # present numbers <= x
            return np.clip(np.asarray(x) - (lo - 1), 0, size)

    else:
        kind = np.int32 if n < 2**31 else np.int64
        counts = np.empty(size + 1, kind) if scratch is None else scratch
        counts[0] = 0
        np.cumsum(present, dtype=counts.dtype, out=counts[1:])

        def below(x: npt.NDArray[np.int64] | int) -> Any:  # present numbers <= x
            return counts[np.clip(np.asarray(x) - (lo - 1), 0, size)]

    edges = [0, *np.searchsorted(values, _POWERS[1:]).tolist(), n]
    widths = [d + 1 for d, (a, b) in enumerate(itertools.pairwise(edges)) if b > a]
    ranks = np.arange(n, dtype=np.int64)
    for d in widths:  # edges[d - 1]: the numbers of fewer than d digits
        span, out = values[edges[d - 1] : edges[d]], ranks[edges[d - 1] : edges[d]]
        out -= edges[d - 1]  # those of d digits before it
        out += _prefix_counts(span, d, widths, edges, below)
        for e in widths:
            if e > d:  # v * 10**(e - d) has e digits, but for v = 0
                out += below(np.maximum(span * _POWERS[e - d], _POWERS[e - 1]) - 1)
                out -= edges[e - 1]
    return ranks


def _prefix_counts(
    points: npt.NDArray[np.int64],
    d: int,
    widths: list[int],
    edges: list[int],
    below: Any,
) -> Any:
    """Per number of ``points`` (``d`` digits, ascending), the present numbers of fewer
    digits that sort before it as text: those of ``e < d`` digits ``<= point // 10**(d - e)``.

    The sum for a number is its parent's (``point // 10``) plus the parent's own
    count, so it is found once per distinct parent, recursively, and spread to the
    numbers (runs of up to ten share a parent): about one pass over ``points``
    where a lookup per shorter width made one per width. ``0`` when no shorter width is present.
    """
    if not any(e < d for e in widths):
        return 0
    parents = points // 10  # d - 1 digits
    first = np.empty(len(parents), np.bool_)
    first[:1] = True
    np.not_equal(parents[1:], parents[:-1], out=first[1:])
    distinct = parents[first] if len(parents) else parents
    sums = _prefix_counts(distinct, d - 1, widths, edges, below)
    if d - 1 in widths:  # the parent's own width: those <= it, less the shorter
        sums = sums + below(distinct) - edges[d - 2]
    if np.isscalar(sums) or len(distinct) == len(parents):
        return sums
    return np.repeat(sums, np.diff(np.flatnonzero(first), append=len(parents)))


class TextCoder:
    """A text column coded batch by batch: each stripped cell (a blank one as
    ``blank``) gets a code in order of first sight; :meth:`finish` ranks them."""

    def __init__(self, blank: str) -> None:
        self.blank = blank
        self.ids: dict[str, int] = {}
        self.parts: list[npt.NDArray[np.int32]] = []

    def add(self, values: Sequence[str]) -> None:
        ids, blank = self.ids, self.blank
        # Distinct cells only are stripped; len() comes before each insert.
        lut = {u: ids.setdefault(u.strip() or blank, len(ids)) for u in dict.fromkeys(values)}
        self.parts.append(np.fromiter(map(lut.__getitem__, values), np.int32, len(values)))

    def add_distinct(self, texts: Sequence[str], inverse: npt.NDArray[np.intp]) -> None:
        """:meth:`add` of a column given as its distinct cells and each row's place among them."""
        ids, blank = self.ids, self.blank
        lut = np.array([ids.setdefault(u.strip() or blank, len(ids)) for u in texts], np.int32)
        self.parts.append(lut[inverse])

    def finish(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.str_]]:
        """``(codes, table)``: each row's rank in the sorted distinct texts, as ``np.unique``."""
        table, place = np.unique(np.array(list(self.ids), dtype=str), return_inverse=True)
        whole = np.concatenate(self.parts) if self.parts else np.zeros(0, np.int32)
        self.parts.clear()
        codes: npt.NDArray[np.int32] = place.reshape(-1).astype(np.int32)[whole]
        return codes, table


@dataclass(frozen=True, slots=True, eq=False)
class NumberTable:
    """Deal ids written as plain numbers (``17``, no sign or leading zero), kept as
    numbers; their text is made only when read, as a :class:`TextTable`'s is.

    Entry ``k`` is ``str(values[k])``. Needs no pyarrow: the pure CSV reader
    keeps its table of ids this way, so that millions of ids cost no Python
    strings until :attr:`DealLog.deal_ids` or :meth:`DealLog.ids_of` reads them.
    """

    values: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: npt.NDArray[Any]) -> np.ndarray:
        """The entries at ``index`` (integers, or a mask), as an object array of ``str``."""
        return _texts(self.values[np.asarray(index)])

    def subset(self, index: npt.NDArray[np.integer]) -> NumberTable:
        """The table of the entries at ``index``, still numbers."""
        return NumberTable(self.values[index])

    def to_numpy(self) -> np.ndarray:
        """Every entry, in order, as an object array of ``str``."""
        return _texts(self.values)


def _texts(numbers: npt.NDArray[np.int64]) -> np.ndarray:
    out = np.empty(numbers.size, dtype=object)
    out[:] = list(map(str, numbers.ravel().tolist()))
    return out.reshape(numbers.shape)


def sparse_text_order(ints: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], np.ndarray]:
    """Per number, the rank of its text among the distinct numbers' texts, and those
    numbers in text order: padded to the widest (``7`` -> ``700``), ties broken by length
    (``7`` < ``70`` < ``700``)."""
    uniq, inverse = np.unique(ints, return_inverse=True)
    digits = np.searchsorted(_POW10, uniq, side="right").clip(1)
    width = int(digits.max())
    # Stable: the numbers arrive sorted, so this is nearly a merge of sorted runs.
    order = np.argsort(uniq * _POW10[width - digits] * 32 + digits, kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank[inverse.reshape(-1)], uniq[order]
