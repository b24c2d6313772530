"""One column specification for every ``DealLog.from_*``, and the column converters.

:class:`Columns` names the columns (deal or case id, stage or activity label,
time, optional owner and amount) and how their cells are read (unknown
labels, time zone, decimal mark, date format). Every constructor resolves
its keyword arguments into one :class:`Columns`, validated once; the
converters below turn one column into the log's arrays and raise errors
located by a :class:`~salesfunnel._csvio.Rows`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypedDict, TypeVar

import numpy as np
import numpy.typing as npt

from .._arrays import private
from .._csvio import Rows
from .._format import value_text
from .._time import TimeParser, is_blank, zone
from ..errors import FunnelDataError
from .amountcolumn import amounts
from .csvtext import NumberTable, iso_fixed
from .denseids import dense_ids
from .pipeline import Pipeline
from .textcodes import TextCodes, TextTable

__all__ = ["UNASSIGNED", "ColumnOptions", "Columns", "TextCodes", "TextTable", "code_dtype"]

UNASSIGNED = "(unassigned)"
"""Owner name given to events whose owner cell is blank."""

I64 = npt.NDArray[np.int64]
DROP_NOTE = "pass drop_unknown=True to drop such rows"
_F = TypeVar("_F", bound=Callable[..., Any])
_STEP = 1 << 16  # rows per step of a count whose temporaries stay in the cache

COLUMNS_DOC = """\
deal, stage, time : str
    Column names of the deal id, the stage label and the event time
    (defaults ``'deal'``, ``'stage'``, ``'time'``).
owner, amount : str, optional
    Column names of the owner and the amount; without them the log
    has no owners or amounts.
drop_unknown : bool
    Drop rows whose label is not in the pipeline (their number is kept
    in :attr:`DealLog.dropped`) instead of raising.
tz : str or tzinfo, optional
    The zone of times written without a UTC offset; they are
    converted to UTC. Without it, naive times are kept as written and
    an input mixing naive and offset times is refused (see
    :doc:`/data-hygiene`).
decimal : ``'.'`` or ``','``
    The decimal mark of amounts written as text. The other mark is
    accepted only as a thousands separator in full groups of three
    (``1,234,567.5``); ``1,5`` with ``decimal='.'`` is an error.
date_format : str, optional
    A :func:`~datetime.datetime.strptime` format for text times
    instead of ISO 8601 (the command line's ``--date-format``).
keep : str or sequence of str
    More columns to keep as text (product, region, source...), each
    stored as integer codes into its sorted distinct values (see
    :attr:`DealLog.kept`); every deal analysis then takes one of them,
    or a list of them, as ``by=``. Blank cells read as
    ``'(unassigned)'``."""


def columns_doc(data: str) -> Callable[[_F], _F]:
    """Write a constructor's Parameters section: its data argument, then the shared ones.

    ``data`` is ``"name\\n    description"``; the pipeline and the column
    parameters (``COLUMNS_DOC``) are written once for every ``from_*``.
    """
    pipeline = "pipeline\n    The stages and outcomes the labels must belong to.\n"
    head = f"Parameters\n----------\n{data}\n{pipeline}"
    block = "\n        ".join((head + COLUMNS_DOC).splitlines())

    def decorate(func: _F) -> _F:
        func.__doc__ = (func.__doc__ or "").replace("{parameters}", block)
        return func

    return decorate


class ColumnOptions(TypedDict, total=False):
    """The keyword arguments every ``DealLog.from_*`` accepts; see :class:`Columns`."""

    deal: str
    stage: str
    time: str
    owner: str | None
    amount: str | None
    drop_unknown: bool
    tz: Any
    decimal: str
    date_format: str | None
    keep: str | Sequence[str]


@dataclass(frozen=True, slots=True)
class Columns:
    """Which columns hold what, and how their cells are read (validated once)."""

    deal: str = "deal"
    stage: str = "stage"
    time: str = "time"
    owner: str | None = None
    amount: str | None = None
    drop_unknown: bool = False
    tz: Any = None
    decimal: str = "."
    date_format: str | None = None
    keep: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._check_keep()
        for name in ("deal", "stage", "time", "owner", "amount", "date_format"):
            value = getattr(self, name)
            optional = name in ("owner", "amount", "date_format")
            if not (isinstance(value, str) and value) and not (optional and value is None):
                msg = f"{name} must be a non-empty column name (got {value!r})"
                raise FunnelDataError(msg, column=name, value=value)
        if self.decimal not in (".", ","):
            msg = f"decimal must be '.' or ',' (got {self.decimal!r})"
            raise FunnelDataError(msg, column="decimal", value=self.decimal)
        try:
            zone(self.tz)
        except ValueError as exc:
            raise FunnelDataError(str(exc), column="tz", value=self.tz) from None

    def _check_keep(self) -> None:
        """``keep`` as a tuple of distinct column names (one name alone is one column)."""
        keep: object = self.keep
        if isinstance(keep, str):
            keep = (keep,)  # a name, not its letters
        if not isinstance(keep, Sequence) or not all(isinstance(c, str) and c for c in keep):
            msg = f"keep must be a column name or a sequence of them (got {self.keep!r})"
            raise FunnelDataError(msg, column="keep", value=self.keep)
        twice = sorted({c for c in keep if list(keep).count(c) > 1})
        if twice:
            msg = f"keep names {twice[0]!r} twice (got {self.keep!r})"
            raise FunnelDataError(msg, column="keep", value=self.keep)
        if self.owner is not None and (self.owner in keep or "owner" in keep):
            # by="owner" means the owner column: a kept "owner" could never be reached.
            name = self.owner if self.owner in keep else "owner"
            msg = f"keep names {name!r}, but by='owner' means the owner column {self.owner!r}"
            raise FunnelDataError(msg, column="keep", value=self.keep)
        object.__setattr__(self, "keep", tuple(keep))

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> Columns:
        """The spec of a constructor's keyword arguments; ``TypeError`` for an unknown one."""
        known = {f.name for f in fields(cls)}
        for key in options:
            if key not in known:
                msg = f"unexpected keyword argument {key!r} (known: {sorted(known)})"
                raise TypeError(msg)
        return cls(**options)

    @property
    def wanted(self) -> list[str]:
        """The column names to read, each once, in role order."""
        names = (self.deal, self.stage, self.time, self.owner, self.amount, *self.keep)
        return list(dict.fromkeys(c for c in names if c is not None))

    def check(self, available: Sequence[str], what: str) -> None:
        """Raise naming the first wanted column missing from ``available``."""
        for c in self.wanted:
            if c not in available:
                msg = f"no column {c!r} in {what} (columns are {list(available)!r})"
                raise FunnelDataError(msg, column=c)

    def parser(self) -> TimeParser:
        return TimeParser(self.tz, self.date_format)


def code_dtype(pipeline: Pipeline) -> type[np.int8]:
    """The dtype of label codes (the pipeline refuses more labels than it holds)."""
    return np.int8


def check_pipeline(pipeline: object) -> None:
    if not isinstance(pipeline, Pipeline):
        msg = f"pipeline must be a Pipeline (got {type(pipeline).__name__})"
        raise FunnelDataError(msg, column="pipeline", value=pipeline)


def convert(
    pipeline: Pipeline, spec: Columns, data: Mapping[str, Any], where: Rows, *, aware: bool = False
) -> dict[str, Any]:
    """The arrays of a log (``DealLog``'s fields) from ``data``, column name to values.

    The columns are checked in this order, each for its first bad value:
    labels, deal ids, times, owners, amounts.
    """
    check_pipeline(pipeline)
    codes, keep = label_codes(data[spec.stage], pipeline, spec.stage, where, spec.drop_unknown)
    dropped = int(keep.size - np.count_nonzero(keep))
    index = None if dropped == 0 else np.flatnonzero(keep)

    def take(name: str) -> object:
        values = data[name]
        if index is None:
            return values
        return values.take(index) if isinstance(values, TextCodes) else np.asarray(values)[index]

    row_of = where if index is None else where.taken(index)
    deal_codes, table, offset = dense_ids(take(spec.deal), spec.deal, row_of)
    out_times = times(take(spec.time), spec.time, row_of, spec.parser(), aware=aware)
    owner, owners = (None, ()) if spec.owner is None else owner_codes(take(spec.owner))
    amount = (
        None
        if spec.amount is None
        else amounts(take(spec.amount), spec.amount, row_of, spec.decimal)
    )
    if index is not None:
        codes = codes[index]
    kept = {c: owner_codes(take(c)) for c in spec.keep}
    return fields_of(
        pipeline, codes, deal_codes, table, offset, out_times, owner, owners, amount, dropped, kept
    )


def fields_of(
    pipeline: Pipeline,
    codes: np.ndarray,
    deal: I64,
    table: np.ndarray | TextTable | NumberTable | None,
    offset: int,
    out_times: npt.NDArray[np.datetime64],
    owner: np.ndarray | None,
    owners: tuple[str, ...],
    amount: npt.NDArray[np.float64] | None,
    dropped: int,
    kept: Mapping[str, tuple[np.ndarray, tuple[str, ...]]] | None = None,
) -> dict[str, Any]:
    # times() has ruled out NaT: both ordering bounds are the seconds
    # themselves (one array), which spares DealLog a second NaT scan.
    secs = out_times.view(np.int64)
    return {
        "pipeline": pipeline,
        "deal": deal,
        "code": codes,
        "time": out_times,
        "owner": owner,
        "amount": amount,
        "owners": owners,
        "dropped": dropped,
        "kept": dict(kept or {}),
        "_table": table,
        "_offset": offset,
        "_lo": secs,
        "_hi": secs,
    }


# -- converters ---------------------------------------------------------------------
def times(
    values: object,
    column: str,
    where: Rows,
    parser: TimeParser,
    *,
    allow_blank: bool = False,
    aware: bool = False,
) -> npt.NDArray[np.datetime64]:
    """Timestamps as ``datetime64[s]``; blanks become NaT only if allowed."""
    arr = np.asarray(values)
    out: npt.NDArray[np.datetime64] | None = None
    if arr.dtype.kind == "M":
        # Seconds already, and no zone to convert them to: the column itself (as integer
        # ids are kept); else a copy, which the tz rule below converts in place.
        same = arr.dtype == np.dtype("datetime64[s]") and (aware or parser.tz is None)
        out = private(arr, arr) if same and arr.flags.c_contiguous else parser.floor_column(arr)
        try:
            parser.naive_column(out, aware=aware)
        except ValueError as exc:
            raise where.error(0, str(exc), column=column) from None
    elif arr.dtype.kind in "OU":
        out = _iso_texts(arr.tolist(), parser)
    if out is None:
        out = _times_each(arr, column, where, parser)
    if not allow_blank:
        _check_dated(out, arr, column, where)
    parser.warn_floored(column, where.source, len(out))
    return out


def _times_each(
    arr: np.ndarray, column: str, where: Rows, parser: TimeParser
) -> npt.NDArray[np.datetime64]:
    """Each cell through the parser, in order: the first bad one is the error."""
    obj = arr.astype(object) if arr.dtype.kind in "OUS" else arr
    out = np.empty(len(obj), dtype="datetime64[s]")
    for i, v in enumerate(obj):
        try:
            t = parser.one(v)
        except ValueError as exc:
            detail = f"unparsable timestamp ({exc})"
            raise where.error(i, detail, column=column, value=v) from None
        out[i] = np.datetime64("NaT") if t is None else t
    return out


def _check_dated(out: npt.NDArray[np.datetime64], arr: Any, column: str, where: Rows) -> None:
    # NaT is the smallest int64: one min() (a fast reduction) rules it out.
    if out.size and out.view(np.int64).min() == np.iinfo(np.int64).min:
        missing = np.flatnonzero(np.isnat(out))
        if missing.size:
            i = int(missing[0])
            detail = f"missing timestamp (got {arr[i]!r})"
            raise where.error(i, detail, column=column, value=arr[i])


def _iso_naive(values: list[str], parser: TimeParser) -> npt.NDArray[np.datetime64] | None:
    """ISO 8601 text without offsets, or ``None``: a batch's fast path.

    Unlike ``parser.texts`` it leaves the parser as the cell-by-cell path
    would (the first time of day seen is the first cell that has one), and
    it stands aside once a time with an offset has been seen, so batch after
    batch gives what one pass over the whole column gives.
    """
    fast = parser.reads_digits
    plain = iso_fixed(values) if fast else None
    if plain is not None and parser.digits_read(plain):
        if parser.first_aware is None and len(values[0]) == 19:
            parser.saw(False, values[0])  # the first time of day
        return plain
    fast = fast and parser.tz is None  # wall-clock times of a zone: the plain shapes only
    try:
        parsed = list(map(dt.datetime.fromisoformat, values)) if fast else None
    except ValueError:
        parsed = None
    if parsed is None or any(p.tzinfo is not None for p in parsed):
        return None
    if parser.first_aware is None:
        midnight = dt.time()
        pairs = zip(values, parsed, strict=True)
        timed = next((v for v, p in pairs if ":" in v or p.time() != midnight), None)
        if timed is not None:
            parser.saw(False, timed)
    if set(map(len, values)) <= {10, 19}:
        # Plain dates and date-times (checked above) are read by numpy from the text,
        # hundreds of times faster than from datetime objects; anything numpy reads
        # otherwise, or warns about, goes the slow way.
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                return np.array(values, dtype="datetime64[s]")
        except (ValueError, Warning):
            pass
    return parser.seconds(parsed, values)


def _iso_texts(values: list[Any], parser: TimeParser) -> npt.NDArray[np.datetime64] | None:
    """``parser.texts(values)``, read from the digits when every cell is plain ISO text."""
    if parser.date_format is None and (parser.tz is not None or parser.first_aware is None):
        out = iso_fixed(values)
        if out is not None and parser.digits_read(out):
            if len(values[0]) == 19:
                parser.saw(False, values[0])  # the first time of day, as texts() records it
            return out
    return parser.texts(values)


def ranked(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(table, inverse)`` of stripped text: the distinct values sorted, and each one's rank.

    The rank is in the smallest integer type that holds it, so that a batch's
    ranks cost little until :func:`merge_ranked` joins the batches.
    """
    table, inverse = np.unique(np.array(texts, dtype=str), return_inverse=True)
    return table, inverse.reshape(-1).astype(np.min_scalar_type(max(len(table) - 1, 0)))


def merge_ranked(
    parts: list[tuple[np.ndarray, np.ndarray]], dtype: type[np.integer]
) -> tuple[np.ndarray, np.ndarray]:
    """The ``(table, inverse)`` of the batches of :func:`ranked` taken as one column."""
    table, place = np.unique(np.concatenate([t for t, _ in parts]), return_inverse=True)
    place = place.reshape(-1)
    out = np.empty(sum(len(inv) for _, inv in parts), dtype)
    at = start = 0
    for t, inv in parts:
        out[at : at + len(inv)] = place[start : start + len(t)][inv]
        at += len(inv)
        start += len(t)
    return table, out


def label_codes(
    values: object, pipeline: Pipeline, column: str, where: Rows, drop_unknown: bool
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """Pipeline codes per row and the mask of rows to keep."""
    if isinstance(values, TextCodes):
        table, rows = values.texts(), values.codes
        lut = np.array([pipeline.labels.index(u) if u in pipeline else -1 for u in table])
        if lut.size and int(lut.min()) >= 0:  # every label known: one gather, no mask
            return lut.astype(code_dtype(pipeline))[rows], np.ones(len(rows), dtype=bool)
        codes = lut.astype(np.int16)[rows]
        return _kept_labels(
            codes, lambda i: str(table[rows[i]]), pipeline, column, where, drop_unknown
        )
    arr = np.asarray(values)
    n_labels = len(pipeline.labels)
    dtype = code_dtype(pipeline)
    if arr.dtype.kind in "iu":
        # Integer labels are codes into pipeline.labels (the fast path for big logs).
        _codes_not_labels(arr, pipeline, column, where)
        if arr.size == 0 or (int(arr.min()) >= 0 and int(arr.max()) < n_labels):
            # Two reductions rule out bad codes without building a mask.
            return private(arr.astype(dtype, copy=False), arr), np.ones(arr.size, dtype=bool)
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
            return private(arr.astype(dtype, copy=False), arr), keep
        return np.where(keep, arr, 0).astype(dtype), keep
    # A whole float is the integer it is: 3.0 (a column of numbers that pandas made
    # float for a blank cell) is the label '3', as owners and breakdown values are read.
    text = np.array(
        ["" if is_blank(v) else value_text(v).strip() for v in arr.astype(object)], dtype=str
    )
    return text_label_codes(text, pipeline, column, where, drop_unknown)


def _codes_not_labels(arr: np.ndarray, pipeline: Pipeline, column: str, where: Rows) -> None:
    """Refuse integer labels when the pipeline's labels are numbers too: read as codes
    (0 is the first label), the stage 3 of a CRM that numbers its stages would be the
    fourth label, with every count shifted and nothing said."""
    numeric = [lab for lab in pipeline.labels if lab.strip().lstrip("+-").isdigit()]
    if not numeric or arr.size == 0:
        return
    detail = (
        f"the stages are integers, which are read as codes into the pipeline's labels "
        f"(0 is {pipeline.labels[0]!r}), but labels {numeric!r} are numbers too, so "
        f"{int(arr[0])} may mean either"
    )
    note = "give the column as text to match labels (pandas: .astype(str)), or labels as names"
    raise where.error(0, detail, column=column, value=int(arr[0]), note=note)


def text_label_codes(
    text: npt.NDArray[np.str_], pipeline: Pipeline, column: str, where: Rows, drop_unknown: bool
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """:func:`label_codes` of labels already stripped (blank ones as ``''``)."""
    uniq, inverse = np.unique(text, return_inverse=True)
    inverse = inverse.reshape(-1)
    lut = np.array([pipeline.labels.index(u) if u in pipeline else -1 for u in uniq], np.int16)
    codes = lut[inverse] if uniq.size else np.zeros(0, np.int16)
    return _kept_labels(codes, lambda i: str(text[i]), pipeline, column, where, drop_unknown)


def _kept_labels(
    codes: npt.NDArray[np.int16],
    label: Callable[[int], str],
    pipeline: Pipeline,
    column: str,
    where: Rows,
    drop_unknown: bool,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """Codes (-1 for an unknown label; ``label(i)`` is row i's) and the rows to keep."""
    dtype = code_dtype(pipeline)
    keep = codes >= 0
    if not keep.all() and not drop_unknown:
        i = int(np.flatnonzero(~keep)[0])
        detail = pipeline.unknown(label(i))
        raise where.error(i, detail, column=column, value=label(i), note=DROP_NOTE)
    return np.where(keep, codes, 0).astype(dtype), keep


def _every_code(arr: np.ndarray, hi: int) -> bool:
    """Whether ``arr`` holds every code 0..hi: counted a step of rows at a time (no
    copy), stopping at the step where the last one shows (the first, most often)."""
    seen = np.zeros(hi + 1, dtype=bool)
    for i in range(0, len(arr), _STEP):
        seen |= np.bincount(arr[i : i + _STEP], minlength=hi + 1) > 0
        if seen.all():
            return True
    return False


def owner_codes(values: object) -> tuple[npt.NDArray[np.integer], tuple[str, ...]]:
    if isinstance(values, TextCodes):
        coded = values.compact()
        named = np.array([u or UNASSIGNED for u in coded.texts().tolist()], dtype=str)
        uniq, place = np.unique(named, return_inverse=True)
        return place.reshape(-1).astype(np.int32)[coded.codes], tuple(str(u) for u in uniq)
    arr = np.asarray(values)
    if arr.dtype.kind in "iu" and arr.size:
        # Integer owner codes (the fast path for big logs): names are their decimal text,
        # ordered as numbers, so owner 2 comes before owner 10.
        lo, hi = int(arr.min()), int(arr.max())
        if lo == 0 and arr.dtype.itemsize <= 4 and hi < _STEP and _every_code(arr, hi):
            return private(arr, arr), tuple(str(v) for v in range(hi + 1))  # dense: kept
        # Offsets from the smallest, widened before subtracting (int16 codes -30000 and
        # 30000 are 60000 apart); one count per code (a radix sort of 2-byte codes took
        # five times as long).
        wide = arr.astype(np.intp) if arr.dtype.itemsize < 8 else (arr - lo).astype(np.intp)
        if lo and arr.dtype.itemsize < 8:
            wide -= lo
        present = np.bincount(wide) > 0
        if lo == 0 and present.all() and arr.dtype.itemsize <= 4:
            # Already dense codes 0..m-1: the column itself, no gather (never writable).
            return private(arr, arr), tuple(str(v) for v in range(len(present)))
        rank = (np.cumsum(present) - 1).astype(np.int32)
        names = tuple(str(int(v) + lo) for v in np.flatnonzero(present))
        return rank.take(wide), names
    if arr.dtype.kind == "U":
        text = np.char.strip(arr)
        text = np.where(text == "", UNASSIGNED, text)
    else:
        # A whole float is the integer it is (owner 7.0, from an integer column that
        # pandas made float for a blank cell, is owner '7'), as in the event breakdowns.
        text = np.array(
            [UNASSIGNED if is_blank(v) else value_text(v).strip() for v in arr.astype(object)],
            dtype=str,
        )
    uniq, inverse = np.unique(text, return_inverse=True)
    return inverse.astype(np.int32).reshape(-1), tuple(str(u) for u in uniq)


def column(columns: Mapping[str, Any], name: str, role: str) -> Any:
    try:
        return columns[name]
    except KeyError:
        msg = f"no column {name!r} for the {role} (columns are {list(columns)!r})"
        raise FunnelDataError(msg, column=name) from None
