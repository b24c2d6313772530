"""A columnar event log: entity (unit) id, event name, time, optional properties.

An :class:`EventLog` holds one row per event ("unit U did event E at time T")
as numpy arrays:

* ``entity``: int64 keys, the ids themselves for integers in a compact range,
  else indices into a sorted table of the ids (the same rule and converter as
  :class:`~salesfunnel.DealLog`'s deal ids);
* ``event``: int16 codes into :attr:`EventLog.names`, the sorted distinct event
  names;
* ``time``: ``datetime64[s]``. One-second resolution, as every loader of the
  library: the parsers drop fractions of a second (counted, with a
  :class:`~salesfunnel.SubsecondTimesWarning`), so events less than a second
  apart become *equal timestamps*, which the funnel engine orders by step as
  PostHog does (see :mod:`salesfunnel.events.funnel`). Time zones follow the
  deal loaders' rule (``tz=``, see :doc:`/data-hygiene`);
* ``properties``: one numpy array per named property column, kept as given:
  numeric columns as float64 (NaN for missing), anything else as text (``""``
  for missing). A step filter that compares with a number reads a text column
  as numbers then, naming the first cell that is not one.

Every constructor validates at the boundary and raises
:class:`~salesfunnel.FunnelDataError` naming the row (``row i`` in memory;
the file's path and ``line n`` for CSV files), the column and the value: a
missing entity id, a missing event name, a missing or unparsable time. With
``drop_invalid=True`` such rows are dropped instead and counted in
:attr:`EventLog.dropped`; nothing is dropped silently.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import partial
from typing import IO, TYPE_CHECKING, Any, TypedDict

import numpy as np
import numpy.typing as npt

from .._csvio import IN_MEMORY, Progress, Rows, open_csv
from .._time import TimeParser, is_blank, warn_placeholder_times
from ..deals import columns as _c
from ..deals.arrowcsv import fast_fields, use_arrow
from ..deals.columns import Columns
from ..deals.denseids import dense_ids
from ..deals.framecodes import coded_frame
from ..deals.idlookup import CodedIds
from ..deals.textcodes import TextCodes, TextTable
from ..errors import FunnelDataError
from .csvfast import arrow_fields
from .props import CodedText, Properties

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow
    from typing_extensions import Unpack

__all__ = ["EventColumnOptions", "EventLog"]

I64 = npt.NDArray[np.int64]


def _freeze(arr: np.ndarray) -> np.ndarray:
    view: np.ndarray = arr.view()
    view.flags.writeable = False
    return view


def _rows(values: Any, index: I64) -> Any:
    return values.take(index) if isinstance(values, TextCodes) else values[index]


def _blank_mask(values: np.ndarray | TextCodes) -> npt.NDArray[np.bool_]:
    """True where a cell is missing (None, blank text, NaN, NaT)."""
    out: npt.NDArray[np.bool_]
    if isinstance(values, TextCodes):
        out = np.zeros(len(values), dtype=bool)  # coded without blanks
    elif values.dtype.kind in "iub":
        out = np.zeros(len(values), dtype=bool)
    elif values.dtype.kind == "f":
        out = np.isnan(values)
    elif values.dtype.kind in "mM":
        out = np.isnat(values)
    elif values.dtype.kind == "U":
        out = np.char.strip(values) == ""
    else:
        out = np.array([is_blank(v) for v in values.tolist()], dtype=bool)
    return out


def _bad_times(values: np.ndarray, parser: TimeParser) -> npt.NDArray[np.bool_]:
    """True where a time is missing or unparsable (each cell read on its own)."""
    bad: npt.NDArray[np.bool_]
    if values.dtype.kind == "M":
        bad = np.isnat(values)
        return bad
    bad = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values.tolist()):
        try:
            bad[i] = TimeParser(parser.tz, parser.date_format).one(v) is None
        except ValueError:
            bad[i] = True
    return bad


def _event_codes(
    values: np.ndarray | TextCodes, column: str, where: Rows
) -> tuple[npt.NDArray[np.int16], tuple[str, ...]]:
    if isinstance(values, TextCodes):
        coded = values.compact()
        names, inverse = coded.texts(), coded.codes
    else:
        text = [("" if is_blank(v) else str(v).strip()) for v in values.tolist()]
        names, inverse = np.unique(np.array(text, dtype=str), return_inverse=True)
    if len(names) > np.iinfo(np.int16).max:
        msg = f"column {column!r} holds {len(names)} distinct event names (at most 32767)"
        raise FunnelDataError(msg, column=column)
    return inverse.reshape(-1).astype(np.int16), tuple(str(n) for n in names)


def _property(values: np.ndarray) -> np.ndarray | CodedText:
    """A property column as float64 (numeric input) or text (anything else), the text
    kept as codes into its distinct values (as the CSV fast path keeps it): a
    ``<U`` array costs 4 bytes a row per character of the longest value, and is
    built only when ``properties[name]`` is read."""
    if values.dtype.kind in "iuf" and values.dtype.kind != "b":
        return values.astype(np.float64)
    found: dict[str, int] = {}
    texts = ("" if is_blank(v) else str(v).strip() for v in values.tolist())
    codes = np.fromiter((found.setdefault(t, len(found)) for t in texts), np.int64, len(values))
    kind = np.min_scalar_type(max(len(found) - 1, 0))
    return CodedText(codes.astype(kind), np.array(list(found), dtype=str))


class EventColumnOptions(TypedDict, total=False):
    """The keywords every ``EventLog.from_*`` accepts; see :meth:`EventLog.from_columns`."""

    entity: str
    event: str
    time: str
    properties: Sequence[str]
    tz: Any
    date_format: str | None
    drop_invalid: bool


@dataclass(frozen=True, slots=True)
class _Spec:
    """The columns of an event log and how its cells are read (validated once)."""

    entity: str = "entity"
    event: str = "event"
    time: str = "time"
    properties: tuple[str, ...] = ()
    tz: Any = None
    date_format: str | None = None
    drop_invalid: bool = False

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> _Spec:
        unknown = sorted(set(options) - {f.name for f in fields(cls)})
        if unknown:
            msg = f"unexpected keyword argument {unknown[0]!r} (see EventLog.from_columns)"
            raise TypeError(msg)
        props = options.get("properties", ())
        if isinstance(props, str) or not isinstance(props, Sequence):
            msg = f"properties must be a list of column names (got {props!r})"
            raise FunnelDataError(msg, column="properties", value=props)
        for p in props:
            if not (isinstance(p, str) and p):
                msg = f"a property must be a non-empty column name (got {p!r})"
                raise FunnelDataError(msg, column="properties", value=p)
        return cls(**{**options, "properties": tuple(props)})

    @property
    def columns(self) -> Columns:
        """The deal loaders' spec: it checks the names, the zone and the format once."""
        return Columns(
            deal=self.entity,
            stage=self.event,
            time=self.time,
            tz=self.tz,
            date_format=self.date_format,
        )

    @property
    def wanted(self) -> list[str]:
        return list(dict.fromkeys((self.entity, self.event, self.time, *self.properties)))


@dataclass(frozen=True, slots=True, eq=False)
class EventLog:
    """Columnar events; build one with a ``from_*`` constructor.

    Attributes
    ----------
    entity
        Per event, an int64 entity key (see :meth:`ids_of`).
    event
        Per event, an int16 code into :attr:`names`.
    time
        Per event, ``datetime64[s]``.
    names
        The distinct event names, sorted.
    properties
        Property name to a read-only numpy array (float64 or text) per event.
        A text column read by the CSV fast path is held as codes until read
        (:mod:`salesfunnel.events.props`): the same array, built once.
    dropped
        Rows dropped as invalid (only with ``drop_invalid=True``).
    entity_column
        The name of the entity column it was loaded from.

    Examples
    --------
    >>> log = EventLog.from_records(
    ...     [
    ...         {"user": "u1", "name": "view", "at": "2024-01-01T10:00:00"},
    ...         {"user": "u1", "name": "cart", "at": "2024-01-01T10:05:00"},
    ...         {"user": "u2", "name": "view", "at": "2024-01-01T11:00:00"},
    ...     ],
    ...     entity="user", event="name", time="at",
    ... )
    >>> log
    EventLog(events=3, entities=2, names=('cart', 'view'), properties=(), dropped=0)
    >>> log.event.tolist(), log.ids_of(log.entity).tolist()
    ([1, 0, 1], ['u1', 'u1', 'u2'])
    """

    entity: I64
    event: npt.NDArray[np.int16]
    time: npt.NDArray[np.datetime64]
    names: tuple[str, ...]
    properties: Mapping[str, np.ndarray] = field(default_factory=dict)
    dropped: int = 0
    entity_column: str = "entity"
    # An entity's id is ``_table[key]``, or the key itself when there is no table; the CSV
    # fast path leaves a table of millions of ids in Arrow (a TextTable) until read.
    _table: np.ndarray | TextTable | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = len(self.entity)
        # A Properties (the fast path's, or another log's) keeps its coded columns unbuilt.
        props = self.properties
        if not isinstance(props, Properties):
            props = Properties(props)
        lengths = {"event": len(self.event), "time": len(self.time)}
        lengths.update({p: props.length(p) for p in props})
        for name, rows in lengths.items():
            if rows != n:
                msg = f"column {name!r} has {rows} rows, expected {n}"
                raise FunnelDataError(msg, column=name)
        for name in ("entity", "event", "time"):
            object.__setattr__(self, name, _freeze(getattr(self, name)))
        object.__setattr__(self, "properties", props)

    def __len__(self) -> int:
        return len(self.entity)

    @property
    def n_entities(self) -> int:
        """Number of distinct entities."""
        return len(np.unique(self.entity))

    def coded(self, name: str) -> CodedText | None:
        """Text property ``name`` as codes into its distinct texts (how loaders keep
        text), or ``None`` when it is held as an array (numbers, a ``<U`` array given)."""
        props = self.properties
        assert isinstance(props, Properties)  # made one by __post_init__
        return props.coded(name)

    def ids_of(self, keys: npt.NDArray[np.integer]) -> np.ndarray:
        """The entity ids of entity keys (values of :attr:`entity`)."""
        return self.ids_later(keys).all()

    def ids_later(self, keys: npt.NDArray[np.integer]) -> CodedIds:
        """:meth:`ids_of` ``keys``, looked up where asked (text ids cost a string each)."""
        return CodedIds(self._table, 0, keys)

    def __repr__(self) -> str:
        return (
            f"EventLog(events={len(self)}, entities={self.n_entities}, names={self.names!r}, "
            f"properties={tuple(self.properties)!r}, dropped={self.dropped})"
        )

    # -- constructors -------------------------------------------------------
    @classmethod
    def _build(
        cls, data: Mapping[str, Any], where: Rows, spec: _Spec, *, aware: bool = False
    ) -> EventLog:
        """The one body of every constructor: ``data`` maps column name to values."""
        entity, event, time = spec.entity, spec.event, spec.time
        parser = spec.columns.parser()
        arrays: dict[str, Any] = {
            c: v if isinstance(v, TextCodes) else np.asarray(v) for c, v in data.items()
        }
        missing_entity = _blank_mask(arrays[entity])
        missing_event = _blank_mask(arrays[event])
        dropped = 0
        if spec.drop_invalid:
            bad = missing_entity | missing_event | _bad_times(arrays[time], parser)
            dropped = int(np.count_nonzero(bad))
            if dropped:
                index = np.flatnonzero(~bad)
                arrays = {c: _rows(v, index) for c, v in arrays.items()}
                where = where.taken(index)
        else:
            for mask, column, what in (
                (missing_entity, entity, "entity id"),
                (missing_event, event, "event name"),
            ):
                if mask.any():
                    i = int(np.flatnonzero(mask)[0])
                    value = arrays[column][i]
                    detail = f"missing {what} (got {value!r})"
                    note = "pass drop_invalid=True to drop such rows"
                    raise where.error(i, detail, column=column, value=value, note=note)
        # Integer ids in a compact range are kept as the keys; others index ``table``.
        keys, table, _ = dense_ids(arrays[entity], entity, where, "entity id")
        codes, names = _event_codes(arrays[event], event, where)
        times = _c.times(arrays[time], time, where, parser, aware=aware)
        props = {p: _property(arrays[p]) for p in spec.properties}
        return _checked(
            cls,
            entity=keys,
            event=codes,
            time=times,
            names=names,
            properties=props,
            dropped=dropped,
            entity_column=entity,
            _table=table,  # a TextTable's strings are built when ids_of reads them
        )

    @classmethod
    def from_columns(
        cls, columns: Mapping[str, Any], **options: Unpack[EventColumnOptions]
    ) -> EventLog:
        """Build a log from a mapping of column name to sequence or numpy array.

        Parameters
        ----------
        columns
            Equal-length columns.
        entity, event, time : str
            The columns of the unit id (user, session, account), the event
            name and the event time (``datetime64`` values, ``datetime``
            objects or ISO 8601 text); defaults ``'entity'``, ``'event'``,
            ``'time'``.
        properties : list of str
            Further columns to keep, for step filters and breakdowns.
        tz, date_format
            As for :meth:`DealLog.from_columns <salesfunnel.DealLog.from_columns>`:
            the zone of times without a UTC offset, and a ``strptime`` format
            for text times.
        drop_invalid : bool
            Drop rows with a missing entity or event, or a missing or
            unparsable time, counting them in :attr:`dropped`, instead of
            raising.

        Every other constructor takes the same keywords.

        Raises
        ------
        FunnelDataError
            Naming the row, the column and the value of the first bad cell.

        Examples
        --------
        >>> import numpy as np
        >>> log = EventLog.from_columns({
        ...     "entity": np.array([7, 7, 9]),
        ...     "event": ["view", "buy", ""],
        ...     "time": np.array(["2024-01-01", "2024-01-02", "2024-01-03"], "datetime64[s]"),
        ... }, drop_invalid=True)
        >>> len(log), log.dropped, log.names
        (2, 1, ('buy', 'view'))
        """
        spec = _Spec.of(options)
        lengths = {c: len(v) for c, v in columns.items()}
        if len(set(lengths.values())) > 1:
            msg = f"columns must have equal lengths (got {lengths!r})"
            raise FunnelDataError(msg, value=lengths)
        data = {c: _c.column(columns, c, "event log") for c in spec.wanted}
        return cls._build(data, IN_MEMORY, spec)

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, Any]], **options: Unpack[EventColumnOptions]
    ) -> EventLog:
        """Build a log from an iterable of mappings, one per event.

        A missing key is a blank cell. The keywords are those of
        :meth:`from_columns`; see the class example.
        """
        spec = _Spec.of(options)
        rows = list(records)
        wrong = [i for i, r in enumerate(rows) if not isinstance(r, Mapping)]
        if wrong:
            kind = type(rows[wrong[0]]).__name__
            detail = f"a record must be a mapping of column to value (got {kind})"
            raise IN_MEMORY.error(wrong[0], detail, value=rows[wrong[0]])
        data = {c: np.array([r.get(c) for r in rows], dtype=object) for c in spec.wanted}
        return cls._build(data, IN_MEMORY, spec)

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str] | IO[Any],
        *,
        delimiter: str = ",",
        encoding: str = "utf-8",
        progress: Progress | None = None,
        engine: str = "auto",
        **options: Unpack[EventColumnOptions],
    ) -> EventLog:
        """Read a CSV file with a header line, one event per line.

        The file is read by the library's one CSV reader: the header is
        checked for the columns before any row is read, and errors begin with
        the path and line (``events.csv, line 4, column 'time': ...``). The
        keywords are those of :meth:`from_columns`, plus ``delimiter``,
        ``encoding``, ``progress`` and ``engine`` (the pyarrow parser or the
        pure one; same log, same errors) as for :meth:`DealLog.from_csv
        <salesfunnel.DealLog.from_csv>`.
        """
        spec = _Spec.of(options)
        fast = use_arrow(engine, path, encoding, delimiter)
        with open_csv(path, encoding=encoding, delimiter=delimiter, progress=progress) as file:
            read = partial(arrow_fields, file, spec, delimiter)
            fields = fast_fields(file, spec.wanted, fast, progress, read)
            if fields is not None:
                return _checked(cls, **fields)
            csv = file.read(spec.wanted)
        cells = csv.columns
        return cls._build({c: np.array(cells[c], dtype=object) for c in cells}, csv.rows, spec)

    @classmethod
    def _from_table(
        cls,
        names: list[str],
        get: Callable[[str], tuple[Any, bool]],
        what: str,
        options: Any,
        source: Callable[[str], Any],
        *,
        objects: bool = False,
    ) -> EventLog:
        """Shared body of the DataFrame/Table constructors: ``get(c)`` is ``(values, aware)``.

        ``source(c)`` is the library's own column: a text column of ids or
        event names without blanks is factorised by Arrow there (no loop
        over the values), in the order the value-by-value path gives; with
        ``objects`` (pandas), event names by pandas first
        (:func:`~salesfunnel.deals.framecodes.column_codes`).
        """
        spec = _Spec.of(options)
        for c in spec.wanted:
            if c not in names:
                msg = f"no column {c!r} in {what} (columns are {names!r})"
                raise FunnelDataError(msg, column=c)
        text = {  # a blank: read value by value; the entities' table stays in Arrow
            c: (False, c == spec.entity)
            for c in (spec.entity, spec.event)
            if c != spec.time and c not in spec.properties
        }
        data, aware = coded_frame(spec.wanted, spec.time, text, source, get, objects=objects)
        return cls._build(data, IN_MEMORY, spec, aware=aware)

    @classmethod
    def from_pandas(
        cls, frame: pandas.DataFrame, **options: Unpack[EventColumnOptions]
    ) -> EventLog:
        """Build a log from a pandas DataFrame; rows are named by position.

        A zone-aware time column is converted to UTC. The keywords are those
        of :meth:`from_columns`.
        """
        names = [str(c) for c in frame.columns]
        return cls._from_table(
            names,
            lambda c: (frame[c].to_numpy(), False),
            "the DataFrame",
            options,
            frame.__getitem__,
            objects=True,
        )

    @classmethod
    def from_polars(
        cls, frame: polars.DataFrame, **options: Unpack[EventColumnOptions]
    ) -> EventLog:
        """Build a log from a polars DataFrame (keywords as for :meth:`from_columns`)."""

        def get(c: str) -> tuple[Any, bool]:
            col = frame.get_column(c)
            return col.to_numpy(), getattr(col.dtype, "time_zone", None) is not None

        return cls._from_table(list(frame.columns), get, "the DataFrame", options, frame.get_column)

    @classmethod
    def from_arrow(cls, table: pyarrow.Table, **options: Unpack[EventColumnOptions]) -> EventLog:
        """Build a log from a ``pyarrow.Table`` (keywords as for :meth:`from_columns`)."""

        def get(c: str) -> tuple[Any, bool]:
            col = table.column(c)
            aware = getattr(col.type, "tz", None) is not None
            return col.to_numpy(zero_copy_only=False), aware

        return cls._from_table(
            list(table.column_names), get, "the Arrow table", options, table.column
        )


def _checked(cls: type[EventLog], **fields: Any) -> EventLog:
    """The log of ``fields``, after warning once when it holds "no date" placeholder times
    (:class:`~salesfunnel.PlaceholderTimesWarning`; the loaders' one way out)."""
    log = cls(**fields)
    warn_placeholder_times(log.time.view(np.int64), "the event log's times")
    return log
