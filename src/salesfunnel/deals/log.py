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

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._csvio import IN_MEMORY, Progress, Rows, open_csv
from ..errors import FunnelDataError
from . import columns as _c, wide as _wide
from .arrowcsv import fast_fields, use_arrow
from .columns import UNASSIGNED, ColumnOptions, Columns, columns_doc
from .csvload import TextColumns, arrow_fields
from .csvtext import NumberTable
from .framecodes import coded_frame
from .idlookup import CodedIds
from .pipeline import Pipeline

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow
    from typing_extensions import Unpack

__all__ = ["UNASSIGNED", "DealLog"]

I64 = npt.NDArray[np.int64]
_LAZY = (_c.TextTable, NumberTable)  # tables of ids whose strings are built when read


def _freeze(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def _checked(log: DealLog) -> DealLog:
    """``log``, after warning once when it looks like an event log (deals reopened, #12),
    and once when it holds "no date" placeholder times (9999-12-31, Unix time 0)."""
    from .._time import warn_placeholder_times
    from .status import warn_if_event_log  # status reads DealLog: imported when called

    warn_if_event_log(log)
    remedy = "drop those rows (or, in the wide form, blank those dates)"
    warn_placeholder_times(log.time.view(np.int64), "the deal log's times", remedy, log.time_span)
    return log


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
    kept
        The columns kept with ``keep=``: name to ``(codes, values)``, per
        event an index into the column's distinct values, sorted (integer
        values in numeric order, blank cells as ``'(unassigned)'``). Any
        of them, or a list of them, is a ``by=`` of the deal analyses.

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
    kept: dict[str, tuple[np.ndarray, tuple[str, ...]]] = field(default_factory=dict)
    # Deal code = ``deal - _offset`` (0 .. deal_bound - 1); its id is ``_table[code]``, or
    # ``code + _offset`` without a table. A TextTable or NumberTable makes the ids when read.
    _table: np.ndarray | _c.TextTable | NumberTable | None = field(default=None, repr=False)
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
        kept = {}
        for name, (codes, values) in self.kept.items():
            if len(codes) != n:
                msg = f"kept column {name!r} has {len(codes)} rows, expected {n}"
                raise FunnelDataError(msg, column=name)
            kept[name] = (_freeze(np.asarray(codes).view()), tuple(values))
        object.__setattr__(self, "kept", kept)
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
            if col is not None and not isinstance(col, _LAZY):
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
    def codes_held(self) -> bool:
        """True when every deal code below :attr:`deal_bound` occurs (ids kept in a table)."""
        return self._table is not None

    @property
    def time_span(self) -> tuple[int, int] | None:
        """The earliest and latest event time in seconds (``None``: no event, or an undated one)."""
        if "span" not in self._cache:
            secs, dated = self._lo, len(self._lo) > 0 and not self._undated
            self._cache["span"] = (int(secs.min()), int(secs.max())) if dated else None
        span: tuple[int, int] | None = self._cache["span"]
        return span

    @property
    def deal_ids(self) -> np.ndarray:
        """The distinct deal ids, sorted (read-only)."""
        if "ids" not in self._cache:
            if isinstance(self._table, _LAZY):
                ids = _freeze(self._table.to_numpy())  # the Python strings, built once
            elif self._table is not None:
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
        return self.ids_later(codes).all()

    def ids_later(self, codes: npt.NDArray[np.integer]) -> CodedIds:
        """The deal ids of ``codes``, looked up where asked: it holds the codes and
        the table of ids (a TextTable's strings if built by then), not the log."""
        table = None if self._table is None else self._cache.get("ids", self._table)
        return CodedIds(table, self._offset, codes)

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
        spec: Columns,
        data: Mapping[str, Any],
        where: Rows,
        *,
        aware: bool = False,
    ) -> DealLog:
        """The one body of every long-form constructor: ``data`` maps column name to values."""
        return _checked(cls(**_c.convert(pipeline, spec, data, where, aware=aware)))

    @classmethod
    @columns_doc(
        "columns\n"
        "    Equal-length columns. The stage column holds labels, or integer\n"
        "    codes into ``pipeline.labels`` (the fast path for big logs); the\n"
        "    time column holds ``datetime64`` values, ``datetime``/``date``\n"
        "    objects or ISO 8601 strings."
    )
    def from_columns(
        cls, columns: Mapping[str, Any], pipeline: Pipeline, **options: Unpack[ColumnOptions]
    ) -> DealLog:
        """Build a log from a mapping of column name to sequence or numpy array.

        {parameters}

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
        spec = Columns.of(options)
        n = {name: len(col) for name, col in columns.items()}
        if len(set(n.values())) > 1:
            msg = f"columns must have equal lengths (got {n!r})"
            raise FunnelDataError(msg, value=n)
        roles: list[tuple[str | None, str]] = [(spec.deal, "deal id"), (spec.stage, "stage label")]
        roles += [(spec.time, "timestamp"), (spec.owner, "owner"), (spec.amount, "amount")]
        roles += [(c, "kept column") for c in spec.keep]
        data = {c: _c.column(columns, c, role) for c, role in roles if c is not None}
        return cls._build(pipeline, spec, data, IN_MEMORY)

    @classmethod
    @columns_doc("records\n    One mapping (a ``dict``, a ``csv.DictReader`` row) per event.")
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any]],
        pipeline: Pipeline,
        **options: Unpack[ColumnOptions],
    ) -> DealLog:
        """Build a log from an iterable of mappings, one per event.

        A missing key is a blank cell. See the class example.

        {parameters}
        """
        spec = Columns.of(options)
        rows = list(records)
        for i, r in enumerate(rows):
            if not isinstance(r, Mapping):
                detail = f"a record must be a mapping of column to value (got {type(r).__name__})"
                raise IN_MEMORY.error(i, detail, value=r)
        data = {c: np.array([r.get(c) for r in rows], dtype=object) for c in spec.wanted}
        return cls._build(pipeline, spec, data, IN_MEMORY)

    @classmethod
    @columns_doc(
        "path\n"
        "    A path, or a binary or text file object.\n"
        "delimiter, encoding\n"
        "    The cell delimiter and the file's encoding (UTF-8 by default; a\n"
        "    byte order mark, as Excel's 'CSV UTF-8' writes, is skipped).\n"
        "progress\n"
        "    Called as ``progress(bytes_read, total_bytes)`` after each chunk read\n"
        "    (``total_bytes`` is None for a file object), for a progress line.\n"
        "engine : ``'auto'``, ``'python'`` or ``'arrow'``\n"
        "    The parser: ``'arrow'`` reads a well-formed file with pyarrow (the\n"
        "    ``arrow`` extra), handing any file it cannot read exactly as the pure\n"
        "    reader does to that reader; ``'python'`` uses only the standard\n"
        "    library; ``'auto'`` (default) is ``'arrow'`` for a file of 4 MiB or\n"
        "    more when pyarrow is installed.\n"
        "    Both give the same log and the same errors."
    )
    def from_csv(
        cls,
        path: str | os.PathLike[str] | IO[Any],
        pipeline: Pipeline,
        *,
        delimiter: str = ",",
        encoding: str = "utf-8",
        progress: Progress | None = None,
        engine: str = "auto",
        **options: Unpack[ColumnOptions],
    ) -> DealLog:
        """Read a long-form CSV file (one event per line, with a header line).

        The header is checked for the columns before any row is read, by
        either engine (see :mod:`salesfunnel.deals.arrowcsv` for when the
        pyarrow engine hands a file to the pure reader). Errors begin with the file's
        path and line (the header is line 1), as in ``deals.csv, line 4,
        column 'amount': ...``; see :doc:`/data-hygiene` for what is refused.

        {parameters}
        """
        spec = Columns.of(options)
        # Each batch is converted as soon as it is read, so the file's cells never
        # all live as Python strings (#10: memory of the CSV path).
        fast = use_arrow(engine, path, encoding, delimiter)
        loaded = TextColumns(pipeline, spec)
        with open_csv(path, encoding=encoding, delimiter=delimiter, progress=progress) as file:
            read = partial(arrow_fields, file, pipeline, spec, delimiter)
            fields = fast_fields(file, spec.wanted, fast, progress, read)
            if fields is not None:
                return _checked(cls(**fields))
            for batch in file.batches(spec.wanted):
                loaded.add(batch.columns, batch.rows)
        return _checked(cls(**loaded.finish(file.source)))

    @classmethod
    def _from_table(
        cls,
        names: list[str],
        get: Callable[[str], tuple[Any, bool]],
        what: str,
        pipeline: Pipeline,
        options: Mapping[str, Any],
        source: Callable[[str], Any],
        *,
        objects: bool = False,
    ) -> DealLog:
        """Shared body of the DataFrame/Table constructors: ``get(c)`` is ``(values, aware)``.

        ``source(c)`` is the library's own column, whose text columns (ids, labels,
        owners) are coded by :func:`~.framecodes.column_codes`.
        """
        spec = Columns.of(options)
        spec.check(names, what)
        # A blank owner is "(unassigned)"; a blank id or label is an error, named by the
        # converters from the values themselves. Ids stay in Arrow until read.
        text = {
            c: (c not in (spec.deal, spec.stage), c == spec.deal)
            for c in (spec.deal, spec.stage, spec.owner)
            if c is not None and c not in (spec.time, spec.amount)
        }
        data, aware = coded_frame(spec.wanted, spec.time, text, source, get, objects=objects)
        return cls._build(pipeline, spec, data, IN_MEMORY, aware=aware)

    @classmethod
    @columns_doc("frame\n    The events, one per row.")
    def from_pandas(
        cls, frame: pandas.DataFrame, pipeline: Pipeline, **options: Unpack[ColumnOptions]
    ) -> DealLog:
        """Build a log from a pandas DataFrame (pandas is imported by the caller).

        Rows are named by position (``row i``), not by the frame's index.
        A zone-aware time column is converted to UTC.

        {parameters}
        """
        # A zone-aware column arrives as Timestamps with their zone: the parser converts them.
        return cls._from_table(
            list(frame.columns),
            lambda c: (frame[c].to_numpy(), False),
            "the DataFrame",
            pipeline,
            options,
            frame.__getitem__,
            objects=True,
        )

    @classmethod
    @columns_doc("frame\n    The events, one per row.")
    def from_polars(
        cls, frame: polars.DataFrame, pipeline: Pipeline, **options: Unpack[ColumnOptions]
    ) -> DealLog:
        """Build a log from a polars DataFrame (polars is imported by the caller).

        A zone-aware time column is converted to UTC.

        {parameters}
        """

        def get(c: str) -> tuple[Any, bool]:
            col = frame.get_column(c)
            return col.to_numpy(), getattr(col.dtype, "time_zone", None) is not None

        return cls._from_table(
            list(frame.columns), get, "the DataFrame", pipeline, options, frame.get_column
        )

    @classmethod
    @columns_doc("table\n    The events, one per row.")
    def from_arrow(
        cls, table: pyarrow.Table, pipeline: Pipeline, **options: Unpack[ColumnOptions]
    ) -> DealLog:
        """Build a log from a ``pyarrow.Table`` (pyarrow is imported by the caller).

        A zone-aware time column is converted to UTC.

        {parameters}
        """

        def get(c: str) -> tuple[Any, bool]:
            col = table.column(c)
            aware = getattr(col.type, "tz", None) is not None
            return col.to_numpy(zero_copy_only=False), aware

        return cls._from_table(
            list(table.column_names), get, "the Arrow table", pipeline, options, table.column
        )

    @classmethod
    def from_wide(  # over 80 lines: most of them are the docstring and its example
        cls,
        source: Iterable[Mapping[str, Any]]
        | pandas.DataFrame
        | polars.DataFrame
        | str
        | os.PathLike[str]
        | IO[Any],
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
        progress: Progress | None = None,
        tz: Any = None,
        decimal: str = ".",
        date_format: str | None = None,
        keep: str | Sequence[str] = (),
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
            An iterable of mappings (e.g. ``csv.DictReader`` rows), a pandas or
            polars DataFrame (one row per deal), or the path (or file object) of
            a CSV file with a header line.
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
        delimiter, encoding, progress
            For a CSV file, as for :meth:`from_csv`.
        tz, decimal, date_format
            As for :meth:`from_columns`; ``tz`` applies across all the date
            columns, which form one input for the time-zone rule.
        keep
            More columns to keep (product, region...), as for
            :meth:`from_columns`: each of a row's events gets the row's value.

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
        spec = Columns(
            deal=deal,
            owner=owner,
            amount=amount,
            drop_unknown=drop_unknown,
            tz=tz,
            decimal=decimal,
            date_format=date_format,
            keep=keep,  # type: ignore[arg-type]  # Columns makes it a tuple
        )
        options = {"delimiter": delimiter, "encoding": encoding, "progress": progress}
        arrays = _wide.events(source, pipeline, spec, stage_dates, (outcome, outcome_date), options)
        return _checked(cls(pipeline=pipeline, **arrays))
