"""Funnel steps: which events of an :class:`EventLog` each step matches.

A step is one of

* an event name: ``"view"``;
* a tuple of names, any of which matches: ``("view", "search")``;
* a name (or tuple of names) with property filters:
  ``("purchase", {"price": (">", 100)})``. Each filter is ``(op, value)`` with
  ``op`` one of ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in`` (``value``
  a collection); every filter must hold. A missing property value never
  matches, except under ``!=``.

A filter value that is a number (``int``, ``float``, numpy's numbers,
``Decimal``, ``Fraction``) compares the property as a number, a text value
compares it as text; ``in`` takes all numbers or all texts. A NaN, ``None``
or any other kind of value is refused when the steps are read.

A name that never occurs in the log is an error (a typo would otherwise
give a silent zero).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .._csvio import IN_MEMORY
from .._format import near_name
from .._numbers import real_number
from ..errors import FunnelDataError
from .log import EventLog
from .props import CodedText

__all__ = ["Step", "name_tables", "step_label", "step_mask", "step_tables"]

Step = str | tuple[Any, ...]
B = npt.NDArray[np.bool_]

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _parts(step: object, what: str) -> tuple[tuple[str, ...], Mapping[str, Any]]:
    """The names and the filters of a step, each filter checked (numbers as floats)."""
    if isinstance(step, str):
        return (step,), {}
    if isinstance(step, tuple) and len(step) == 2 and isinstance(step[1], Mapping):
        names, _ = _parts(step[0], what)
        return names, {prop: _checked(prop, cond, what) for prop, cond in step[1].items()}
    if isinstance(step, tuple) and step and all(isinstance(s, str) for s in step):
        return tuple(step), {}
    msg = (
        f"{what} must be an event name, a tuple of names, or (name, {{property: (op, value)}}) "
        f"(got {step!r})"
    )
    raise FunnelDataError(msg, column="steps", value=step)


def _value(prop: str, value: object, what: str) -> object:
    """A filter's value: a number as a float, a text or a bool as it is; else refused."""
    number = real_number(value)
    if number is not None:
        if not math.isnan(number):
            return number
    elif isinstance(value, (str, bool, np.bool_)):
        return value
    msg = f"{what}: a filter on {prop!r} compares with a number or a text (got {value!r})"
    raise FunnelDataError(msg, column=prop, value=value)


def _checked(prop: object, cond: object, what: str) -> tuple[str, Any]:
    """``(op, value)`` with its operator known and its value(s) usable, or an error."""
    if not isinstance(prop, str):
        msg = f"{what}: a property name must be a text (got {prop!r})"
        raise FunnelDataError(msg, column="steps", value=prop)
    if not (isinstance(cond, tuple) and len(cond) == 2):
        msg = f"a filter must be (op, value), e.g. ('==', 'x') (got {cond!r} for {prop!r})"
        raise FunnelDataError(msg, column=prop, value=cond)
    op, value = cond
    if op == "in":
        if isinstance(value, str) or not isinstance(value, Collection):
            msg = f"'in' needs a collection of values (got {value!r} for {prop!r})"
            raise FunnelDataError(msg, column=prop, value=value)
        values = tuple(_value(prop, v, what) for v in value)
        if len({isinstance(v, float) for v in values}) > 1:
            msg = f"{what}: 'in' on {prop!r} mixes numbers and texts (got {value!r})"
            raise FunnelDataError(msg, column=prop, value=value)
        return op, values
    if op not in _OPS:
        msg = f"unknown operator {op!r} for {prop!r} (use one of {[*_OPS, 'in']})"
        raise FunnelDataError(msg, column=prop, value=op)
    return op, _value(prop, value, what)


def step_label(step: Step) -> str:
    """A step's name for people: ``view``, ``view|search``, ``purchase[price>100]``."""
    names, filters = _parts(step, "a step")  # checked first: a bad filter is an error
    label = "|".join(names)
    if filters:
        given: Mapping[str, tuple[str, Any]] = step[1]  # type: ignore[assignment]
        shown = (f"{p}{op}{_shown(given[p][1], v)}" for p, (op, v) in filters.items())
        label += "[" + ",".join(shown) + "]"
    return label


def _shown(given: object, value: object) -> str:
    """The value as the caller wrote it when that reads well (``100``, ``'x'``), else as used."""
    plain = (int, float, str, bool)
    items = list(given) if isinstance(given, (list, tuple)) else [given]
    return repr(given if all(type(g) in plain for g in items) else value)


def _number(v: str) -> float | None:
    """A text cell as a number (NaN for a blank), ``None`` when it is not one."""
    if v == "":
        return math.nan
    try:
        return float(v)
    except ValueError:
        return None


def _not_a_number(column: str, i: int, v: str) -> FunnelDataError:
    detail = f"property is not a number (got {v!r}) but a step compares it with one"
    return IN_MEMORY.error(i, detail, column=column, value=v)


def _numbers(
    values: np.ndarray, column: str, index: npt.NDArray[np.intp]
) -> npt.NDArray[np.float64]:
    """Text cells as numbers (NaN for blanks); ``index`` gives each cell's log row."""
    if values.dtype.kind == "f":
        return values
    out = np.full(len(values), np.nan)
    for k, v in enumerate(values.tolist()):
        number = _number(v)
        if number is None:
            raise _not_a_number(column, int(index[k]), v) from None
        out[k] = number
    return out


def _coded_numbers(coded: CodedText, column: str, rows: B) -> npt.NDArray[np.float64]:
    """:func:`_numbers` of a coded column's ``rows`` (zero elsewhere): each distinct
    text read once; the error names the first of ``rows`` whose text is not a number."""
    found = [_number(v) for v in coded.values.tolist()]
    sub = np.flatnonzero(rows)
    codes = coded.codes[sub]
    bad = np.array([n is None for n in found], dtype=bool)[codes]
    if bad.any():
        k = int(bad.argmax())
        raise _not_a_number(column, int(sub[k]), str(coded.values[codes[k]]))
    nums = np.zeros(len(rows))
    nums[sub] = np.array([math.nan if n is None else n for n in found], dtype=np.float64)[codes]
    return nums


def _filter(log: EventLog, prop: str, cond: tuple[str, Any], rows: B) -> B:
    """``rows`` where the checked filter ``cond`` holds."""
    if prop not in log.properties:
        msg = f"no property {prop!r} in the log (properties are {list(log.properties)!r})"
        raise FunnelDataError(msg, column=prop)
    op, value = cond
    props = log.properties
    coded = log.coded(prop)
    values = value if op == "in" else (value,)
    if values and isinstance(values[0], float):  # numbers: the cells as numbers
        if coded is not None:
            nums = _coded_numbers(coded, prop, rows)
        else:
            col = props[prop]
            nums = np.zeros(len(col))
            sub = np.flatnonzero(rows)
            nums[sub] = _numbers(col[sub], prop, sub)
        missing = np.isnan(nums)
        hit = np.isin(nums, np.array(values)) if op == "in" else _OPS[op](nums, value)
    elif coded is not None:  # text: each distinct text compared once, then per row
        texts = [str(v) for v in values]
        table = coded.values
        in_table = np.isin(table, np.array(texts)) if op == "in" else _OPS[op](table, texts[0])
        missing, hit = coded.per_row(table == ""), coded.per_row(in_table)
    elif props[prop].dtype.kind == "f":
        msg = f"property {prop!r} holds numbers; compare it with a number (got {value!r})"
        raise FunnelDataError(msg, column=prop, value=value)
    else:
        col = props[prop]
        missing = col == ""
        texts = [str(v) for v in values]
        hit = np.isin(col, np.array(texts)) if op == "in" else _OPS[op](col, texts[0])
    out: B = rows & (np.asarray(hit) | missing) if op == "!=" else rows & np.asarray(hit) & ~missing
    return out


def step_tables(log: EventLog, steps: Sequence[Step]) -> tuple[np.ndarray, np.ndarray] | None:
    """For steps that are event names only: per event code, the first step it matches
    (0: none) and how many it matches, so that one read of the codes gives both (``None``
    when a step filters on properties). Names must be in the log (:func:`step_mask`)."""
    first = np.zeros(max(len(log.names), 1), dtype=np.int8 if len(steps) < 127 else np.int64)
    count = np.zeros(len(first), dtype=np.int8)
    for i in range(len(steps) - 1, -1, -1):
        names, filters = _parts(steps[i], f"step {i + 1}")
        if filters:
            return None
        codes = sorted({log.names.index(name) for name in names})
        first[codes] = i + 1
        count[codes] += 1
    return first, count


def _codes(log: EventLog, names: tuple[str, ...], what: str) -> list[int]:
    codes = []
    for name in names:
        if name not in log.names:
            msg = f"{what}: no event {name!r} in the log (event names are {list(log.names)!r})"
            msg += near_name(name, log.names)
            raise FunnelDataError(msg, column="steps", value=name)
        codes.append(log.names.index(name))
    return codes


def name_tables(log: EventLog, steps: Sequence[Step]) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`step_tables` when every step is event names only, checked as
    :func:`step_mask` checks them (the same error for the same step first);
    ``None`` (nothing raised) from the first step that filters on properties."""
    for i, step in enumerate(steps):
        names, filters = _parts(step, f"step {i + 1}")
        if filters:
            return None
        _codes(log, names, f"step {i + 1}")
    return step_tables(log, steps)


def step_mask(log: EventLog, step: Step, what: str = "a step") -> B:
    """The events a step matches."""
    names, filters = _parts(step, what)
    codes = _codes(log, names, what)
    # A table over the event codes, read once per event (faster than np.isin).
    table = np.zeros(max(len(log.names), 1), dtype=bool)
    table[codes] = True
    rows: B = table[log.event]
    for prop, cond in filters.items():
        rows = _filter(log, prop, cond, rows)
    return rows
