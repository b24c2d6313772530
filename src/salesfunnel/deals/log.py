"""A columnar log of deal events: deal id, label, timestamp, owner, amount.

A :class:`DealLog` holds one row per *event* ("deal D reached label L at time
T") as numpy arrays. Labels are stored as codes of a :class:`Pipeline`; deal
ids and owners as dense integer codes into sorted tables of the original
values. Timestamps have one-second resolution (``datetime64[s]``).

Every constructor validates at the boundary and raises
:class:`~salesfunnel.FunnelDataError` naming the row (``row i``, 0-based, for
in-memory data; the file's path and ``line n``, 1-based with the header as
line 1, for CSV files) and the column, in the message and as the error's
``source``, ``index``, ``line``, ``column`` and ``value`` attributes (see
:mod:`salesfunnel.errors`): unknown labels (unless ``drop_unknown=True``, which
drops those rows and records how many in :attr:`DealLog.dropped`), missing or
unparsable timestamps, missing deal ids, negative or non-numeric amounts and,
in the wide form, duplicate deal ids. Nothing is dropped silently.

Only the wide form (:meth:`DealLog.from_wide`) can produce events without a
time: a stage reached whose date cell is blank. Such an event still counts as
reached; time-based results treat its time as unknown and report how many
deals that affected.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..errors import NO_VALUE, FunnelDataError
from .pipeline import Pipeline

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

__all__ = ["UNASSIGNED", "DealLog"]

UNASSIGNED = "(unassigned)"
"""Owner name given to events whose owner cell is blank."""

I64 = npt.NDArray[np.int64]
_MIN = np.iinfo(np.int64).min
_MAX = np.iinfo(np.int64).max


class _Rows:
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

    def taken(self, index: npt.NDArray[np.int64]) -> _Rows:
        mapped = index if self._map is None else self._map[index]
        return _Rows(self.source, self._lines, mapped)

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
        ``note`` speaks in this module's terms (``pass drop_unknown=True``,
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


_IN_MEMORY = _Rows()
_DROP_NOTE = "pass drop_unknown=True to drop such rows"


def _read_csv(
    path: str | os.PathLike[str], delimiter: str, encoding: str
) -> tuple[list[str], list[dict[str, Any]], list[int]]:
    """Header, rows and each row's line in the file (header = line 1; blank lines count)."""
    with open(path, newline="", encoding=encoding) as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        header = list(reader.fieldnames or [])
        rows: list[dict[str, Any]] = []
        lines: list[int] = []
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
    return header, rows, lines


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    # pandas.NA / NaT and friends compare unequal to themselves or refuse bool().
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return True


# -- timestamps ----------------------------------------------------------------
def _one_time(value: object) -> np.datetime64 | None:
    """Parse one timestamp; ``None`` for blank; ``ValueError`` if unparsable."""
    if _is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return np.datetime64(value.replace(microsecond=0), "s")
    if isinstance(value, dt.date):
        day: np.datetime64 = np.datetime64(value, "D").astype("datetime64[s]")
        return day
    if isinstance(value, np.datetime64):
        converted: np.datetime64 = value.astype("datetime64[s]")
        return converted
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            msg = f"not an ISO 8601 date or date-time: {text!r}"
            raise ValueError(msg) from None
        return _one_time(parsed)
    to_py = getattr(value, "to_pydatetime", None)  # pandas.Timestamp
    if callable(to_py):
        return _one_time(to_py())
    msg = f"not a date or date-time: {value!r} of type {type(value).__name__}"
    raise ValueError(msg)


def _times(
    values: object, column: str, where: _Rows, *, allow_blank: bool = False
) -> npt.NDArray[np.datetime64]:
    """Timestamps as ``datetime64[s]``; blanks become NaT only if allowed."""
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        out = arr.astype("datetime64[s]", copy=False)
    else:
        obj = arr.astype(object) if arr.dtype.kind in "OUS" else arr
        out = np.empty(len(obj), dtype="datetime64[s]")
        for i, v in enumerate(obj):
            try:
                t = _one_time(v)
            except ValueError as exc:
                detail = f"unparsable timestamp ({exc})"
                raise where.error(i, detail, column=column, value=v) from None
            out[i] = np.datetime64("NaT") if t is None else t
    # NaT is the smallest int64: one min() (a fast reduction) rules it out.
    if not allow_blank and out.size and out.view(np.int64).min() == _MIN:
        missing = np.flatnonzero(np.isnat(out))
        if missing.size:
            i = int(missing[0])
            detail = f"missing timestamp (got {arr[i]!r})"
            raise where.error(i, detail, column=column, value=arr[i])
    return out


# -- other columns ----------------------------------------------------------------
def _dense_ids(values: object, column: str, where: _Rows) -> tuple[I64, np.ndarray | None, int]:
    """Integer deal codes per row, plus how to map codes back to ids.

    Returns ``(keys, table, offset)``: the deal code of a key is ``key -
    offset`` and its id ``table[code]``, or the key itself when ``table`` is
    None. Integer ids in a compact range are kept as they are (no copy, no
    sort, no table: the cheap path for big logs); other ids are ranked
    through a sorted table.
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        ids = arr.astype(np.int64, copy=False)
        if ids.size == 0:
            return np.zeros(0, np.int64), ids, 0
        lo, hi = int(ids.min()), int(ids.max())
        if hi - lo <= 8 * ids.size + 1024:
            return ids, None, lo
        table, inverse = np.unique(ids, return_inverse=True)
        return inverse.astype(np.int64).reshape(-1), table, 0
    obj = arr.astype(object)
    for i, v in enumerate(obj):
        if _is_blank(v):
            raise where.error(i, f"missing deal id (got {v!r})", column=column, value=v)
        if isinstance(v, float) and v.is_integer():
            obj[i] = int(v)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in obj):
        return _dense_ids(obj.astype(np.int64), column, where)
    strs = np.array([str(v).strip() if isinstance(v, str) else str(v) for v in obj], dtype=str)
    table, inverse = np.unique(strs, return_inverse=True)
    return inverse.astype(np.int64).reshape(-1), table.astype(object), 0


def _label_codes(
    values: object, pipeline: Pipeline, column: str, where: _Rows, drop_unknown: bool
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """Pipeline codes per row and the mask of rows to keep."""
    arr = np.asarray(values)
    n_labels = len(pipeline.labels)
    if arr.dtype.kind in "iu":
        # Integer labels are codes into pipeline.labels (the fast path for big logs).
        if arr.size == 0 or (int(arr.min()) >= 0 and int(arr.max()) < n_labels):
            # Two reductions rule out bad codes without building a mask.
            return arr.astype(np.int8, copy=False), np.ones(arr.size, dtype=bool)
        bad = (arr < 0) | (arr >= n_labels)
        keep = ~bad
        if bad.any() and not drop_unknown:
            i = int(np.flatnonzero(bad)[0])
            detail = (
                f"label code {int(arr[i])} is outside 0..{n_labels - 1} of "
                f"{list(pipeline.labels)!r}"
            )
            raise where.error(i, detail, column=column, value=int(arr[i]))
        if keep.all():
            return arr.astype(np.int8, copy=False), keep
        return np.where(keep, arr, 0).astype(np.int8), keep
    text = np.array(["" if _is_blank(v) else str(v).strip() for v in arr.astype(object)], dtype=str)
    uniq, inverse = np.unique(text, return_inverse=True)
    inverse = inverse.reshape(-1)
    lut = np.array([pipeline.labels.index(u) if u in pipeline else -1 for u in uniq], np.int16)
    codes = lut[inverse] if uniq.size else np.zeros(0, np.int16)
    keep = codes >= 0
    if not keep.all() and not drop_unknown:
        i = int(np.flatnonzero(~keep)[0])
        detail = (
            f"unknown label {str(text[i])!r}; the pipeline's labels are {list(pipeline.labels)!r}"
        )
        raise where.error(i, detail, column=column, value=str(text[i]), note=_DROP_NOTE)
    return np.where(keep, codes, 0).astype(np.int8), keep


def _owner_codes(values: object) -> tuple[npt.NDArray[np.integer], tuple[str, ...]]:
    arr = np.asarray(values)
    if arr.dtype.kind in "iu" and arr.size:
        # Integer owner codes (the fast path for big logs): names are their decimal text,
        # ordered as numbers, so owner 2 comes before owner 10.
        lo = int(arr.min())
        if arr.dtype.itemsize <= 2:
            # numpy radix-sorts 1- and 2-byte integers: a sort and one comparison
            # find the distinct codes in a third of the time of a bincount, which
            # first widens the column to 8-byte integers.
            s = np.sort(arr)
            distinct = s[np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))]
            present = np.zeros(int(s[-1]) - lo + 1, dtype=bool)
            present[distinct.astype(np.int64) - lo] = True
            del s
        else:
            present = np.bincount((arr - lo).astype(np.int64)) > 0
        if lo == 0 and present.all() and arr.dtype.itemsize <= 4:
            # Already dense codes 0..m-1: keep the caller's array, no gather.
            return arr, tuple(str(v) for v in range(len(present)))
        rank = (np.cumsum(present) - 1).astype(np.int32)
        names = tuple(str(int(v) + lo) for v in np.flatnonzero(present))
        return rank[arr - lo], names
    if arr.dtype.kind == "U":
        text = np.char.strip(arr)
        text = np.where(text == "", UNASSIGNED, text)
    else:
        text = np.array(
            [UNASSIGNED if _is_blank(v) else str(v).strip() for v in arr.astype(object)], dtype=str
        )
    uniq, inverse = np.unique(text, return_inverse=True)
    return inverse.astype(np.int32).reshape(-1), tuple(str(u) for u in uniq)


def _amounts(values: object, column: str, where: _Rows) -> npt.NDArray[np.float64]:
    arr = np.asarray(values)
    if arr.dtype.kind in "iuf":
        out = arr.astype(np.float64)
    else:
        out = np.empty(len(arr), dtype=np.float64)
        for i, v in enumerate(arr.astype(object)):
            if _is_blank(v):
                out[i] = math.nan
                continue
            try:
                out[i] = float(v.replace(",", "") if isinstance(v, str) else v)
            except (TypeError, ValueError):
                detail = f"amount is not a number (got {v!r})"
                raise where.error(i, detail, column=column, value=v) from None
    bad = np.flatnonzero(np.isinf(out) | (out < 0))
    if bad.size:
        i = int(bad[0])
        detail = f"amount must be finite and >= 0 (got {arr[i]!r})"
        raise where.error(i, detail, column=column, value=arr[i])
    return out


def _column(columns: Mapping[str, Any], name: str, role: str) -> Any:
    try:
        return columns[name]
    except KeyError:
        msg = f"no column {name!r} for the {role} (columns are {list(columns)!r})"
        raise FunnelDataError(msg, column=name) from None


def _freeze(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class DealLog:
    """Columnar deal events; build one with a ``from_*`` constructor.

    Attributes
    ----------
    pipeline
        The pipeline whose label codes :attr:`code` holds.
    deal
        Per event, an integer deal key: the id itself for integer ids in a
        compact range, else an index into :attr:`deal_ids`.
    code
        Per event, the label code (see :class:`Pipeline`).
    time
        Per event, ``datetime64[s]``; NaT only for undated wide-form stages.
    owner
        Per event, an index into :attr:`owners` (``None`` without owners).
    amount
        Per event, float amount, NaN where unknown (``None`` without amounts).
        A deal's amount is the last known amount of its events.
    owners
        The distinct owner names, sorted.
    dropped
        Rows dropped because of unknown labels (only with ``drop_unknown=True``).

    Examples
    --------
    >>> p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    >>> log = DealLog.from_records(
    ...     [
    ...         {"deal": "A", "stage": "Call", "time": "2024-01-02"},
    ...         {"deal": "A", "stage": "Won", "time": "2024-01-09"},
    ...         {"deal": "B", "stage": "Call", "time": "2024-01-03"},
    ...     ],
    ...     p,
    ... )
    >>> log
    DealLog(events=3, deals=2, owners=0, amounts=False, dropped=0)
    >>> list(log.deal_ids), log.code.tolist()
    (['A', 'B'], [0, 2, 0])
    """

    pipeline: Pipeline
    deal: I64
    code: npt.NDArray[np.int8]
    time: npt.NDArray[np.datetime64]
    owner: npt.NDArray[np.integer] | None
    amount: npt.NDArray[np.float64] | None
    owners: tuple[str, ...] = ()
    dropped: int = 0
    # Deal code = ``deal - _offset`` (0 .. deal_bound - 1); its id is ``_table[code]``,
    # or ``code + _offset`` when there is no table.
    _table: np.ndarray | None = field(default=None, repr=False)
    _offset: int = field(default=0, repr=False)
    # Ordering bounds in seconds: equal to ``time`` for dated events; for an
    # undated wide-form event, the nearest dated neighbours in pipeline order
    # (the int64 extremes when there is none).
    _lo: I64 = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _hi: I64 = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _undated: bool = field(default=False, init=False, repr=False, compare=False)
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.deal)
        for name in ("code", "time"):
            if len(getattr(self, name)) != n:
                msg = f"column {name!r} has {len(getattr(self, name))} rows, expected {n}"
                raise FunnelDataError(msg, column=name)
        for name in ("owner", "amount"):
            col = getattr(self, name)
            if col is not None and len(col) != n:
                msg = f"column {name!r} has {len(col)} rows, expected {n}"
                raise FunnelDataError(msg, column=name)
        if len(self._lo) != n:
            secs = self.time.view(np.int64)
            if np.isnat(self.time).any():
                msg = "undated events need ordering bounds; build the log with from_wide()"
                raise FunnelDataError(msg)
            object.__setattr__(self, "_lo", secs)
            object.__setattr__(self, "_hi", secs)
        elif self._lo is not self._hi and not np.isnat(self.time).any():
            object.__setattr__(self, "_hi", self._lo)  # all dated: one array, fast paths
        same_bounds = self._lo is self._hi
        object.__setattr__(self, "_undated", not same_bounds)
        for name in ("deal", "code", "time", "owner", "amount", "_table", "_lo", "_hi"):
            col = getattr(self, name)
            if col is not None:
                # A read-only view: the caller's own arrays (kept without copying) stay writable.
                object.__setattr__(self, name, _freeze(col.view()))
        if same_bounds:
            object.__setattr__(self, "_hi", self._lo)

    # -- sizes -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.deal)

    @property
    def deal_bound(self) -> int:
        """One more than the largest deal code (0 for an empty log)."""
        if "bound" not in self._cache:
            if self._table is not None:
                self._cache["bound"] = len(self._table)
            else:
                top = int(self.deal.max()) - self._offset + 1 if len(self.deal) else 0
                self._cache["bound"] = top
        bound: int = self._cache["bound"]
        return bound

    @property
    def deal_ids(self) -> np.ndarray:
        """The distinct deal ids, sorted (read-only)."""
        if "ids" not in self._cache:
            if self._table is not None:
                ids = self._table
            else:
                present = np.bincount(self.deal - self._offset, minlength=self.deal_bound) > 0
                ids = _freeze(np.flatnonzero(present).astype(np.int64) + self._offset)
            self._cache["ids"] = ids
        out: np.ndarray = self._cache["ids"]
        return out

    @property
    def n_deals(self) -> int:
        """Number of distinct deals."""
        return len(self.deal_ids)

    @property
    def has_undated(self) -> bool:
        """True when some event has no time (only from the wide form)."""
        return self._undated

    # -- the analyses' view of the columns (used by the engine) --------------
    @property
    def deal_offset(self) -> int:
        """The deal code of an event is ``deal - deal_offset`` (0 .. ``deal_bound`` - 1)."""
        return self._offset

    @property
    def order_bounds(self) -> tuple[I64, I64]:
        """Per event, the bounds ``(lo, hi)`` in seconds of its place in time.

        Both are the event's time when it is dated; an undated wide-form event
        lies between its nearest dated neighbours in pipeline order (the int64
        extremes when there is none).
        """
        return self._lo, self._hi

    def ids_of(self, codes: npt.NDArray[np.integer]) -> np.ndarray:
        """The deal ids of the deal codes ``codes``."""
        if self._table is not None:
            ids: np.ndarray = self._table[codes]
            return ids
        return codes.astype(np.int64, copy=False) + self._offset

    def __repr__(self) -> str:
        return (
            f"DealLog(events={len(self)}, deals={self.n_deals}, owners={len(self.owners)}, "
            f"amounts={self.amount is not None}, dropped={self.dropped})"
        )

    # -- constructors -------------------------------------------------------
    @classmethod
    def _build(
        cls,
        pipeline: Pipeline,
        deal: object,
        label: object,
        time: object,
        owner: object | None,
        amount: object | None,
        names: tuple[str, str, str, str | None, str | None],
        where: _Rows,
        drop_unknown: bool,
    ) -> DealLog:
        if not isinstance(pipeline, Pipeline):
            msg = f"pipeline must be a Pipeline (got {type(pipeline).__name__})"
            raise FunnelDataError(msg, column="pipeline", value=pipeline)
        deal_name, stage_name, time_name, _, amount_name = names
        codes, keep = _label_codes(label, pipeline, stage_name, where, drop_unknown)
        dropped = int(keep.size - np.count_nonzero(keep))
        index = None if dropped == 0 else np.flatnonzero(keep)

        def take(values: object) -> object:
            if index is None:
                return values
            arr = np.asarray(values)
            return arr[index]

        row_of = where if index is None else where.taken(index)
        deal_codes, table, offset = _dense_ids(take(deal), deal_name, row_of)
        times = _times(take(time), time_name, row_of)
        owner_codes, owners = (None, ()) if owner is None else _owner_codes(take(owner))
        amounts = (
            None if amount is None else _amounts(take(amount), amount_name or "amount", row_of)
        )
        if index is not None:
            codes = codes[index]
        # _times() has ruled out NaT: both ordering bounds are the seconds
        # themselves (one array), which spares __post_init__ a second NaT scan.
        secs = times.view(np.int64)
        return cls(
            pipeline=pipeline,
            deal=deal_codes,
            code=codes,
            time=times,
            owner=owner_codes,
            amount=amounts,
            owners=owners,
            dropped=dropped,
            _table=table,
            _offset=offset,
            _lo=secs,
            _hi=secs,
        )

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Any],
        pipeline: Pipeline,
        *,
        deal: str = "deal",
        stage: str = "stage",
        time: str = "time",
        owner: str | None = None,
        amount: str | None = None,
        drop_unknown: bool = False,
    ) -> DealLog:
        """Build a log from a mapping of column name to sequence or numpy array.

        Parameters
        ----------
        columns
            Equal-length columns. The stage column holds labels, or integer
            codes into ``pipeline.labels`` (the fast path for big logs); the
            time column holds ``datetime64`` values, ``datetime``/``date``
            objects or ISO 8601 strings.
        pipeline
            The stages and outcomes the labels must belong to.
        deal, stage, time, owner, amount
            Column names. ``owner`` and ``amount`` are optional.
        drop_unknown
            Drop rows whose label is not in the pipeline (their number is kept
            in :attr:`dropped`) instead of raising.

        Raises
        ------
        FunnelDataError
            Naming the row and column of the first bad value.

        Examples
        --------
        >>> import numpy as np
        >>> p = Pipeline(["Call"], won="Won", lost="Lost")
        >>> cols = {
        ...     "deal": np.array([7, 7, 9]),
        ...     "stage": np.array([0, 1, 0]),
        ...     "time": np.array(["2024-01-01", "2024-01-05", "2024-01-02"], "datetime64[s]"),
        ... }
        >>> DealLog.from_columns(cols, p).deal_ids.tolist()
        [7, 9]
        """
        n = {name: len(col) for name, col in columns.items()}
        if len(set(n.values())) > 1:
            msg = f"columns must have equal lengths (got {n!r})"
            raise FunnelDataError(msg, value=n)
        return cls._build(
            pipeline,
            _column(columns, deal, "deal id"),
            _column(columns, stage, "stage label"),
            _column(columns, time, "timestamp"),
            None if owner is None else _column(columns, owner, "owner"),
            None if amount is None else _column(columns, amount, "amount"),
            (deal, stage, time, owner, amount),
            _IN_MEMORY,
            drop_unknown,
        )

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any]],
        pipeline: Pipeline,
        *,
        deal: str = "deal",
        stage: str = "stage",
        time: str = "time",
        owner: str | None = None,
        amount: str | None = None,
        drop_unknown: bool = False,
    ) -> DealLog:
        """Build a log from an iterable of mappings, one per event.

        Parameters are as for :meth:`from_columns`; a missing key is a blank
        cell. See the class example.
        """
        rows = list(records)
        wanted = [c for c in (deal, stage, time, owner, amount) if c is not None]
        columns = {c: [r.get(c) for r in rows] for c in wanted}
        empty: list[object] = []
        return cls._build(
            pipeline,
            np.array(columns[deal] if rows else empty, dtype=object),
            np.array(columns[stage] if rows else empty, dtype=object),
            np.array(columns[time] if rows else empty, dtype=object),
            None if owner is None else np.array(columns[owner], dtype=object),
            None if amount is None else np.array(columns[amount], dtype=object),
            (deal, stage, time, owner, amount),
            _IN_MEMORY,
            drop_unknown,
        )

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        pipeline: Pipeline,
        *,
        deal: str = "deal",
        stage: str = "stage",
        time: str = "time",
        owner: str | None = None,
        amount: str | None = None,
        drop_unknown: bool = False,
        delimiter: str = ",",
        encoding: str = "utf-8",
    ) -> DealLog:
        """Read a long-form CSV file (one event per line, with a header line).

        Uses only the standard library ``csv`` module. Errors begin with the
        file's path and line (the header is line 1), as in ``deals.csv, line
        4, column 'amount': ...``. Other parameters are as for
        :meth:`from_columns`.
        """
        source = os.fspath(path)
        with open(path, newline="", encoding=encoding) as fh:
            reader = csv.DictReader(fh, delimiter=delimiter)
            header = reader.fieldnames or []
            wanted = [c for c in (deal, stage, time, owner, amount) if c is not None]
            for c in wanted:
                if c not in header:
                    msg = f"{source}: no column {c!r} (header is {header!r})"
                    raise FunnelDataError(msg, source=source, line=1, column=c)
            columns: dict[str, list[str]] = {c: [] for c in wanted}
            lines: list[int] = []  # csv counts blank lines and quoted line breaks
            for row in reader:
                for c in wanted:
                    columns[c].append(row[c] or "")
                lines.append(reader.line_num)
        return cls._build(
            pipeline,
            np.array(columns[deal], dtype=object),
            np.array(columns[stage], dtype=object),
            np.array(columns[time], dtype=object),
            None if owner is None else np.array(columns[owner], dtype=object),
            None if amount is None else np.array(columns[amount], dtype=object),
            (deal, stage, time, owner, amount),
            _Rows(source, lines),
            drop_unknown,
        )

    @classmethod
    def _from_table(
        cls,
        names: list[str],
        get: Callable[[str], Any],
        what: str,
        pipeline: Pipeline,
        *,
        deal: str,
        stage: str,
        time: str,
        owner: str | None,
        amount: str | None,
        drop_unknown: bool,
    ) -> DealLog:
        """Shared body of the DataFrame/Table constructors: check the columns, then columns."""
        wanted = [c for c in (deal, stage, time, owner, amount) if c is not None]
        missing = [c for c in wanted if c not in names]
        if missing:
            msg = f"no column {missing[0]!r} in {what} (columns are {names!r})"
            raise FunnelDataError(msg, column=missing[0])
        return cls.from_columns(
            {c: get(c) for c in wanted},
            pipeline,
            deal=deal,
            stage=stage,
            time=time,
            owner=owner,
            amount=amount,
            drop_unknown=drop_unknown,
        )

    @classmethod
    def from_pandas(
        cls,
        frame: pandas.DataFrame,
        pipeline: Pipeline,
        *,
        deal: str = "deal",
        stage: str = "stage",
        time: str = "time",
        owner: str | None = None,
        amount: str | None = None,
        drop_unknown: bool = False,
    ) -> DealLog:
        """Build a log from a pandas DataFrame (pandas is imported by the caller).

        Rows are named by position (``row i``), not by the frame's index.
        """
        return cls._from_table(
            list(frame.columns),
            lambda c: frame[c].to_numpy(),
            "the DataFrame",
            pipeline,
            deal=deal,
            stage=stage,
            time=time,
            owner=owner,
            amount=amount,
            drop_unknown=drop_unknown,
        )

    @classmethod
    def from_polars(
        cls,
        frame: polars.DataFrame,
        pipeline: Pipeline,
        *,
        deal: str = "deal",
        stage: str = "stage",
        time: str = "time",
        owner: str | None = None,
        amount: str | None = None,
        drop_unknown: bool = False,
    ) -> DealLog:
        """Build a log from a polars DataFrame (polars is imported by the caller)."""
        return cls._from_table(
            list(frame.columns),
            lambda c: frame.get_column(c).to_numpy(),
            "the DataFrame",
            pipeline,
            deal=deal,
            stage=stage,
            time=time,
            owner=owner,
            amount=amount,
            drop_unknown=drop_unknown,
        )

    @classmethod
    def from_arrow(
        cls,
        table: pyarrow.Table,
        pipeline: Pipeline,
        *,
        deal: str = "deal",
        stage: str = "stage",
        time: str = "time",
        owner: str | None = None,
        amount: str | None = None,
        drop_unknown: bool = False,
    ) -> DealLog:
        """Build a log from a ``pyarrow.Table`` (pyarrow is imported by the caller)."""
        return cls._from_table(
            list(table.column_names),
            lambda c: table.column(c).to_numpy(zero_copy_only=False),
            "the Arrow table",
            pipeline,
            deal=deal,
            stage=stage,
            time=time,
            owner=owner,
            amount=amount,
            drop_unknown=drop_unknown,
        )

    @classmethod
    def from_wide(
        cls,
        source: Iterable[Mapping[str, Any]] | str | os.PathLike[str],
        pipeline: Pipeline,
        *,
        deal: str,
        stage_dates: Mapping[str, str],
        outcome: str | None = None,
        outcome_date: str | None = None,
        owner: str | None = None,
        amount: str | None = None,
        drop_unknown: bool = False,
        delimiter: str = ",",
        encoding: str = "utf-8",
    ) -> DealLog:
        """Build a log from a one-row-per-deal export.

        Each row gives one event per non-blank date in ``stage_dates`` and one
        for the ``outcome`` column:

        * an outcome label (won, lost, frozen) adds that outcome at
          ``outcome_date`` (or at the outcome's own ``stage_dates`` column);
        * an open stage label says the deal is open at that stage; the stage
          is reached even when its date is blank or it has no date column;
        * a blank cell (or no ``outcome`` column) leaves the deal at its
          furthest dated stage; a row with nothing at all is at the first
          stage.

        A reached stage with a blank date counts as reached with an unknown
        time. The wide form cannot express backward moves, so a row's events
        follow pipeline order: dates that go backwards along the pipeline, or
        a dated stage beyond the row's current open stage, are errors.

        Parameters
        ----------
        source
            An iterable of mappings (e.g. ``csv.DictReader`` rows) or the path
            of a CSV file with a header line.
        pipeline
            The stages and outcomes.
        deal
            Column of the deal id; duplicates are an error.
        stage_dates
            Label to date column, e.g. ``{"Engaging": "engage_date"}``.
        outcome, outcome_date
            Column of the current stage or outcome label, and of the outcome's
            date.
        owner, amount
            Optional columns; the amount is attached to the row's last event.
        drop_unknown
            Drop rows whose ``outcome`` label is unknown instead of raising.

        Examples
        --------
        >>> p = Pipeline(["Prospecting", "Engaging"], won="Won", lost="Lost")
        >>> rows = [
        ...     {"id": "A", "stage": "Won", "engage": "2017-01-02", "close": "2017-02-01"},
        ...     {"id": "B", "stage": "Prospecting", "engage": "", "close": ""},
        ... ]
        >>> log = DealLog.from_wide(
        ...     rows, p, deal="id", stage_dates={"Engaging": "engage"},
        ...     outcome="stage", outcome_date="close",
        ... )
        >>> [p.labels[c] for c in log.code], log.has_undated
        (['Engaging', 'Won', 'Prospecting'], True)
        """
        if not isinstance(pipeline, Pipeline):
            msg = f"pipeline must be a Pipeline (got {type(pipeline).__name__})"
            raise FunnelDataError(msg, column="pipeline", value=pipeline)
        for label in stage_dates:
            if label not in pipeline:
                msg = (
                    f"stage_dates names {label!r}, which is not a pipeline label "
                    f"{list(pipeline.labels)!r}"
                )
                raise FunnelDataError(msg, column="stage_dates", value=label)
        rows: Sequence[Mapping[str, Any]]
        if isinstance(source, (str, os.PathLike)):
            _, rows, lines = _read_csv(source, delimiter, encoding)
            where = _Rows(os.fspath(source), lines)
        else:
            rows = list(source)
            where = _IN_MEMORY
        date_cols = sorted(((pipeline.code(lab), col) for lab, col in stage_dates.items()))
        n_stages = pipeline.n_stages
        ev_deal: list[object] = []
        ev_code: list[int] = []
        ev_time: list[np.datetime64 | None] = []
        ev_lo: list[int] = []
        ev_hi: list[int] = []
        ev_owner: list[object] = []
        ev_amount: list[object] = []
        seen: dict[object, int] = {}
        dropped = 0

        def cell(row: Mapping[str, Any], col: str, i: int) -> Any:
            if col not in row:
                raise where.error(i, f"no such column (columns are {list(row)!r})", column=col)
            return row[col]

        def parse(value: object, col: str, i: int) -> np.datetime64 | None:
            try:
                return _one_time(value)
            except ValueError as exc:
                detail = f"unparsable timestamp ({exc})"
                raise where.error(i, detail, column=col, value=value) from None

        for i, row in enumerate(rows):
            status: int | None = None
            if outcome is not None:
                raw = cell(row, outcome, i)
                if not _is_blank(raw):
                    label = str(raw).strip()
                    if label not in pipeline:
                        if drop_unknown:
                            dropped += 1
                            continue
                        detail = (
                            f"unknown label {label!r}; the pipeline's labels are "
                            f"{list(pipeline.labels)!r}"
                        )
                        raise where.error(i, detail, column=outcome, value=label, note=_DROP_NOTE)
                    status = pipeline.code(label)
            key = cell(row, deal, i)
            if _is_blank(key):
                raise where.error(i, f"missing deal id (got {key!r})", column=deal, value=key)
            key = key.strip() if isinstance(key, str) else key
            if key in seen:
                note = f"first seen at {where.text(seen[key])}"
                raise where.error(
                    i, f"duplicate deal id {key!r}", column=deal, value=key, note=note
                )
            seen[key] = i
            events: dict[int, tuple[np.datetime64 | None, str]] = {}
            for code, col in date_cols:
                t = parse(cell(row, col, i), col, i)
                if t is not None:
                    events[code] = (t, col)
            if status is not None and status < n_stages:
                beyond = [c for c in events if c > status]
                if beyond:
                    col = events[beyond[0]][1]
                    detail = (
                        f"the deal is open at {pipeline.labels[status]!r} but has a date "
                        f"for the later label {pipeline.labels[beyond[0]]!r}"
                    )
                    raise where.error(i, detail, column=col, value=row[col])
                events.setdefault(status, (None, ""))
            elif status is not None:
                t = None
                if outcome_date is not None:
                    t = parse(cell(row, outcome_date, i), outcome_date, i)
                if t is not None:
                    events[status] = (t, outcome_date or "")
                else:
                    events.setdefault(status, (None, ""))
            if not events:
                events[0] = (None, "")
            order = sorted(events)
            dated = [(c, events[c][0]) for c in order if events[c][0] is not None]
            for (c1, t1), (c2, t2) in itertools.pairwise(dated):
                if t2 is not None and t1 is not None and t2 < t1:
                    detail = (
                        f"{pipeline.labels[c2]!r} date {t2} is before the "
                        f"{pipeline.labels[c1]!r} date {t1}"
                    )
                    col = events[c2][1]
                    raise where.error(i, detail, column=col, value=row[col])
            known = [events[c][0] for c in order]
            secs = [None if t is None else int(t.astype(np.int64)) for t in known]
            lo = _MIN
            los: list[int] = []
            for s in secs:
                lo = s if s is not None else lo
                los.append(lo)
            hi = _MAX
            his: list[int] = []
            for s in reversed(secs):
                hi = s if s is not None else hi
                his.append(hi)
            his.reverse()
            own = None if owner is None else cell(row, owner, i)
            amt = None if amount is None else cell(row, amount, i)
            for j, c in enumerate(order):
                ev_deal.append(key)
                ev_code.append(c)
                ev_time.append(known[j])
                ev_lo.append(los[j])
                ev_hi.append(his[j])
                ev_owner.append(own)
                ev_amount.append(amt if j == len(order) - 1 else None)
        # Event rows are not file rows: map an event back to its deal's row for messages.
        ev_where = where.taken(np.array([seen[k] for k in ev_deal], dtype=np.int64))

        deal_codes, table, offset = _dense_ids(np.array(ev_deal, dtype=object), deal, ev_where)
        times = np.array(
            [np.datetime64("NaT", "s") if t is None else t for t in ev_time], dtype="datetime64[s]"
        )
        owner_codes, owners = (None, ()) if owner is None else _owner_codes(np.array(ev_owner))
        amounts = (
            None
            if amount is None
            else _amounts(np.array(ev_amount, dtype=object), amount, ev_where)
        )
        return cls(
            pipeline=pipeline,
            deal=deal_codes,
            code=np.array(ev_code, dtype=np.int8),
            time=times,
            owner=owner_codes,
            amount=amounts,
            owners=owners,
            dropped=dropped,
            _table=table,
            _offset=offset,
            _lo=np.array(ev_lo, dtype=np.int64),
            _hi=np.array(ev_hi, dtype=np.int64),
        )
