"""Funnels from pandas or polars DataFrames: ``Funnel.from_frame``, long or wide.

Two shapes are read, told apart by ``count``:

* **long** (``count`` names one column): one row per stage, ``stage`` names
  it; with ``by``, one row per (group, stage). The stage order is the order
  in which stages first appear in the frame, the same for every group. A
  stage with no row in a group has count 0 there (no row, nobody counted).
  Two rows for one (group, stage) are an error: sum them first, or pass the
  ``by`` column that tells them apart.
* **wide** (``count`` lists columns, in funnel order): one row per funnel,
  one count column per stage (the column name is the stage name); with
  ``by``, the ``by`` column(s) name each row's funnel. Without ``by`` the
  frame must have exactly one row.

Group keys are text: the value of the ``by`` column, or the values of several
``by`` columns joined with `` / ``. The key is also the funnel's name.
Errors name the column, the row (0-based, as the frame's position) and the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._format import near_name
from .._time import is_blank
from ..errors import FunnelDataError
from .model import Funnel, Stage

__all__ = ["from_frame"]


def _names(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    names = list(value)
    if not names or not all(isinstance(n, str) for n in names):
        msg = f"{what} must be a column name or a list of column names (got {value!r})"
        raise FunnelDataError(msg, column=what, value=value)
    return names


def _columns(frame: Any, names: list[str]) -> dict[str, list[Any]]:
    """Each named column as a list of Python values; a missing one names the frame's columns."""
    if not hasattr(frame, "columns") or isinstance(frame, type):
        msg = f"frame must be a pandas or polars DataFrame (got {type(frame).__name__})"
        raise FunnelDataError(msg, column="frame", value=frame)
    have = [str(c) for c in frame.columns]
    out: dict[str, list[Any]] = {}
    for name in names:
        if name not in have:
            msg = f"the frame has no column {name!r}; its columns are {have!r}"
            msg += near_name(name, have)
            raise FunnelDataError(msg, column=name)
        out[name] = list(frame[name].to_list())
    return out


def _key(cols: dict[str, list[Any]], by: list[str], row: int) -> str:
    values = []
    for c in by:
        v = cols[c][row]
        if is_blank(v):
            msg = f"row {row}, column {c!r}: a group name is blank (got {v!r})"
            raise FunnelDataError(msg, index=row, column=c, value=v)
        values.append(str(v))
    return " / ".join(values)


def _stage(name: str, count: Any, amount: Any, row: int, column: str) -> Stage:
    try:
        return Stage(name, count, None if amount is None or is_blank(amount) else amount)
    except FunnelDataError as exc:
        msg = f"row {row}, column {exc.column or column!r}: {exc}"
        raise FunnelDataError(msg, index=row, column=exc.column, value=exc.value) from None


def _long(
    frame: Any, stage: str, count: str, amount: str | None, by: list[str]
) -> dict[str, list[Stage]]:
    cols = _columns(frame, [stage, count, *([amount] if amount else []), *by])
    order: dict[str, None] = {}
    found: dict[str, dict[str, tuple[int, Stage]]] = {}
    for row, name in enumerate(cols[stage]):
        if not isinstance(name, str) or not name.strip():
            msg = f"row {row}, column {stage!r}: a stage name must be non-empty text (got {name!r})"
            raise FunnelDataError(msg, index=row, column=stage, value=name)
        key = _key(cols, by, row) if by else ""
        amt = cols[amount][row] if amount else None
        seen = found.setdefault(key, {})
        if name in seen:
            where = f" of group {key!r}" if by else ""
            msg = (
                f"rows {seen[name][0]} and {row} are both stage {name!r}{where}: sum them "
                "first, or pass by= naming the column that tells them apart"
            )
            raise FunnelDataError(msg, index=row, column=stage, value=name)
        seen[name] = (row, _stage(name, cols[count][row], amt, row, count))
        order[name] = None
    return {
        key: [seen[n][1] if n in seen else Stage(n, 0) for n in order]
        for key, seen in found.items()
    }


def _wide(frame: Any, count: list[str], amount: list[str], by: list[str]) -> dict[str, list[Stage]]:
    if amount and len(amount) != len(count):
        msg = (
            f"amount must list one column per count column ({len(count)}), "
            f"got {len(amount)}: {amount!r}"
        )
        raise FunnelDataError(msg, column="amount", value=amount)
    cols = _columns(frame, [*count, *amount, *by])
    rows = len(cols[count[0]])
    if not by and rows != 1:
        msg = (
            f"a wide frame without by= must have one row (got {rows}); pass by= naming "
            "the column that names each row's funnel"
        )
        raise FunnelDataError(msg, column="by", value=rows)
    out: dict[str, list[Stage]] = {}
    for row in range(rows):
        key = _key(cols, by, row) if by else ""
        if key in out:
            msg = f"row {row}: group {key!r} appears twice; one row per funnel"
            raise FunnelDataError(msg, index=row, column=by[0], value=key)
        out[key] = [
            _stage(c, cols[c][row], cols[amount[j]][row] if amount else None, row, c)
            for j, c in enumerate(count)
        ]
    return out


Names = str | Sequence[str]


def from_frame(
    frame: Any,
    stage: str | None,
    count: Names,
    amount: Names | None,
    by: Names | None,
    name: str | None,
) -> Funnel | dict[str, Funnel]:
    """See :meth:`Funnel.from_frame <salesfunnel.Funnel.from_frame>` (arguments in its order)."""
    groups = _names(by, "by")
    if isinstance(count, str):
        if stage is None:
            msg = "a long frame (count names one column) needs stage= naming the stage column"
            raise FunnelDataError(msg, column="stage")
        if amount is not None and not isinstance(amount, str):
            msg = f"amount must name one column in a long frame (got {amount!r})"
            raise FunnelDataError(msg, column="amount", value=amount)
        stages = _long(frame, stage, count, amount, groups)
    else:
        if stage is not None:
            msg = (
                "stage= is for a long frame; in a wide frame (count lists the stage "
                f"columns) the column names are the stage names (got stage={stage!r})"
            )
            raise FunnelDataError(msg, column="stage", value=stage)
        stages = _wide(frame, _names(count, "count"), _names(amount, "amount"), groups)
    if not stages:
        msg = "the frame has no rows: there is no funnel to build"
        raise FunnelDataError(msg, column="frame")
    if not groups:
        return Funnel(tuple(stages[""]), name)
    return {key: Funnel(tuple(s), key) for key, s in stages.items()}
