"""What an event funnel counts and groups by: the unit, the breakdown value, the period.

* **Unit** (``unit=``): a column or a tuple of columns, each the log's entity
  column or a property column; a unit is one distinct combination of their
  values (``("user", "session")`` counts user-session pairs). Its id, in
  :attr:`EventFunnel.units`, is the value itself for one column and a tuple
  of values for several. A missing unit value is an error naming the row.
* **Breakdown value** (``breakdown=``): a property or a tuple of properties.
  An event's value is its property's text (a whole float without the
  ``.0``); for several properties the texts joined by ``" / "`` with
  ``"(none)"`` standing for a missing part. An event has *no* value when
  every part is missing.
* **Period** (``period=``): ``"D"`` (calendar days), ``"W"`` (ISO weeks,
  Monday to Sunday, named by their Monday), ``"M"`` (calendar months) or a
  ``timedelta`` (buckets of that length from ``start``, or from
  1970-01-01T00:00:00 without one). Times are the log's (UTC or naive, as
  loaded), so a day runs from midnight to midnight in that clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from .._csvio import IN_MEMORY
from ..errors import FunnelDataError
from .groupvalues import GroupValues, coded_column, joined, value_text
from .log import EventLog
from .props import CodedText

__all__ = [
    "NO_VALUE_GROUP",
    "Period",
    "breakdown_values",
    "columns_of",
    "factorize",
    "period_buckets",
    "value_text",
    "with_unit",
]

NO_VALUE_GROUP = "(none)"
"""The breakdown group of units without a value."""

Period = str | dt.timedelta
I64 = npt.NDArray[np.int64]
_DAY = 86_400
_PEEL = 16  # factorize: texts of up to this many distinct values are matched one by one
_HASHED_UNIQUE = np.lib.NumpyVersion(np.__version__) >= "2.3.0"  # np.unique(sorted=False)


def columns_of(spec: object, what: str) -> tuple[str, ...]:
    """A column name or a non-empty tuple of names, as a tuple."""
    if isinstance(spec, str) and spec:
        return (spec,)
    if isinstance(spec, tuple) and spec and all(isinstance(c, str) and c for c in spec):
        return spec
    msg = f"{what} must be a column name or a tuple of column names (got {spec!r})"
    raise FunnelDataError(msg, column=what, value=spec)


def _peel(values: npt.NDArray[np.str_]) -> tuple[npt.NDArray[np.str_], I64] | None:
    """:func:`factorize` for texts of at most ``_PEEL`` distinct values: one comparison
    of every text per value (no sort of the texts); ``None`` when there are more."""
    codes = np.full(len(values), -1, dtype=np.int64)
    found: list[str] = []
    at = 0  # the first text without a code yet
    while at < len(values):
        if len(found) == _PEEL:
            return None
        np.putmask(codes, values == values[at], len(found))
        found.append(values[at])
        left = codes[at:] < 0
        at = at + int(left.argmax()) if left.any() else len(values)
    names = np.array(found, dtype=values.dtype)
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names), dtype=np.int64)
    return names[order], rank[codes]


def factorize(values: npt.NDArray[np.str_]) -> tuple[npt.NDArray[np.str_], I64]:
    """The distinct values, sorted, and each value's position among them."""
    if values.dtype.kind == "U" and len(values) > _PEEL:
        # A breakdown has few values, and numpy sorts texts (even for unique's hash path).
        peeled = _peel(values)
        if peeled is not None:
            return peeled
    if _HASHED_UNIQUE:  # a hash table, then a sort of the (few) distinct values only
        found, inverse = np.unique(values, return_inverse=True, sorted=False)
        order = np.argsort(found, kind="stable")
        rank = np.empty(len(found), dtype=np.int64)
        rank[order] = np.arange(len(found), dtype=np.int64)
        return found[order], rank[inverse.reshape(-1)]
    names, inverse = np.unique(values, return_inverse=True)
    return names, inverse.reshape(-1).astype(np.int64)


def breakdown_values(log: EventLog, breakdown: tuple[str, ...]) -> GroupValues:
    """Per event, the text of its breakdown value (``""`` when it has none), coded."""
    for name in breakdown:
        if name not in log.properties:
            msg = (
                f"breakdown {name!r} is not a property of the log "
                f"(properties are {list(log.properties)!r}; name it in properties= when loading)"
            )
            raise FunnelDataError(msg, column="breakdown", value=name)
    parts = [
        coded_column(c if (c := log.coded(name)) is not None else log.properties[name])
        for name in breakdown
    ]
    if len(parts) == 1:
        return parts[0]
    together = joined(parts, NO_VALUE_GROUP)
    if together is not None:
        return together
    none = np.ones(len(log), dtype=bool)
    pieces = []
    for part in parts:
        text = part[slice(None)]
        pieces.append(np.where(text == "", NO_VALUE_GROUP, text).astype(object))
        none &= text == ""
    out = pieces[0]
    for piece in pieces[1:]:
        out = out + " / " + piece
    out[none] = ""
    return GroupValues(None, out.astype(str))


def _unit_codes(log: EventLog, name: str) -> tuple[I64, np.ndarray]:
    """Per event, a code of its value in one unit column, and the values by code."""
    if name == log.entity_column:
        keys, inverse = np.unique(log.entity, return_inverse=True)
        return inverse.reshape(-1).astype(np.int64), log.ids_of(keys)
    if name not in log.properties:
        msg = (
            f"unit {name!r} is neither the log's entity column ({log.entity_column!r}) nor "
            f"a property (properties are {list(log.properties)!r})"
        )
        raise FunnelDataError(msg, column="unit", value=name)
    coded = log.coded(name)
    if coded is not None:
        return _coded_unit_codes(coded, name)
    col = log.properties[name]
    missing = np.isnan(col) if col.dtype.kind == "f" else col == ""
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise IN_MEMORY.error(i, "missing unit value (got '')", column=name, value="")
    values, inverse = np.unique(col, return_inverse=True)
    if col.dtype.kind == "f":
        values = np.array([int(v) if v.is_integer() else v for v in values.tolist()], object)
    return inverse.reshape(-1).astype(np.int64), values


def _coded_unit_codes(coded: CodedText, name: str) -> tuple[I64, np.ndarray]:
    """:func:`_unit_codes` of a coded text column: each distinct text sorted once
    (``np.unique`` of the rows gives the texts some row holds, so the others go)."""
    texts, place = np.unique(coded.values, return_inverse=True)
    per_row = place.reshape(-1)[coded.codes]
    if len(texts) and texts[0] == "":  # sorted: a blank comes first
        missing = per_row == 0
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise IN_MEMORY.error(i, "missing unit value (got '')", column=name, value="")
    held = np.zeros(len(texts), dtype=bool)
    held[per_row] = True
    rank = np.cumsum(held) - 1
    return rank[per_row].astype(np.int64), texts[held]


def with_unit(log: EventLog, unit: Sequence[str] | str | None) -> EventLog:
    """The log with its entity keys replaced by the unit's (the same log for the default)."""
    if unit is None:
        return log
    names = columns_of(unit, "unit")
    if names == (log.entity_column,):
        return log
    coded = [_unit_codes(log, name) for name in names]
    if len(coded) == 1:
        keys, table = coded[0]
        return dataclasses.replace(log, entity=keys, _table=table)
    stacked = np.stack([c for c, _ in coded], axis=1)
    combos, inverse = np.unique(stacked, axis=0, return_inverse=True)
    plain = [v.tolist() for _, v in coded]  # Python values in the tuples, not numpy scalars
    table = np.empty(len(combos), dtype=object)
    table[:] = [tuple(p[c] for p, c in zip(plain, row, strict=True)) for row in combos.tolist()]
    return dataclasses.replace(log, entity=inverse.reshape(-1).astype(np.int64), _table=table)


def _check_period(period: object) -> None:
    ok = period in ("D", "W", "M") or (
        isinstance(period, dt.timedelta) and period >= dt.timedelta(seconds=1)
    )
    if not ok:
        msg = f"period must be 'D', 'W', 'M' or a timedelta of at least 1 s (got {period!r})"
        raise FunnelDataError(msg, column="period", value=period)


def period_buckets(t: I64, period: Period, start: int | None) -> tuple[I64, Callable[[int], str]]:
    """Per time (seconds), its period's number, and the label of a number.

    Labels: ``2024-03-04`` for days and weeks (a week by its Monday),
    ``2024-03`` for months, ``2024-03-04T06:00:00`` for a ``timedelta``.
    """
    _check_period(period)
    if period == "M":
        months = t.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
        return months, lambda m: str(np.datetime64(m, "M"))
    if period == "D":
        length, origin, unit = _DAY, 0, "D"
    elif period == "W":
        length, origin, unit = 7 * _DAY, -3 * _DAY, "D"  # 1969-12-29 was a Monday
    else:
        assert isinstance(period, dt.timedelta)
        length, origin, unit = int(period.total_seconds()), start or 0, "s"

    def label(b: int) -> str:
        return str(np.datetime64(origin + b * length, "s").astype(f"datetime64[{unit}]"))

    return (t - origin) // length, label
