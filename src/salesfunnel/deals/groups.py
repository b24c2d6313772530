"""Breakdowns: ``by=`` as the owner, a kept column, or a list of them.

Every deal analysis groups deals the same way, so the analyses themselves
know one kind of group, the owner code on each event, and this module turns
any ``by=`` into that form: a view of the log whose ``owner`` column holds
the group codes and whose ``owners`` are the group names. A deal's group is
the value on its last event in scope, as for the owner.

* ``by=None``: one group, the whole team.
* ``by="owner"``: the owner column (unchanged: the same log).
* ``by="product"``: a column kept with ``keep=`` when the log was built;
  one group per distinct value of the log, sorted.
* ``by=["product", "region"]``: one group per combination that occurs on
  some event of the log, keys are tuples in the order of the names, sorted.

Groups without deals in scope still get (empty) results, so rows line up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from ..errors import FunnelDataError
from .log import DealLog

__all__ = ["GroupBy", "Grouping", "grouping"]

GroupBy = str | list[str] | tuple[str, ...] | None
"""What ``by=`` accepts: ``None``, ``"owner"``, a kept column, or a list of those."""

Key = str | tuple[str, ...]
T = TypeVar("T")

_JOIN = " / "


@dataclass(frozen=True, slots=True)
class Grouping:
    """A ``by=`` resolved against a log.

    Attributes
    ----------
    log
        The log to analyse: for a kept column or a list, a view of the
        given log whose owner codes are the group codes.
    by
        ``"owner"`` when there are groups, else ``None`` (what the
        analyses' internals take).
    columns
        The names of the group columns (``()`` for ``by=None``).
    keys
        One key per group, in order: the value (one column) or a tuple of
        values (a list of columns); ``[None]`` for ``by=None``.
    """

    log: DealLog
    by: Literal["owner"] | None
    columns: tuple[str, ...]
    keys: list[Any]

    def result(self, results: Sequence[T]) -> T | dict[Any, T]:
        """One result for ``by=None``, else a dict of group key to result."""
        if self.by is None:
            return results[0]
        return dict(zip(self.keys, results, strict=True))

    def cells(self, g: int) -> tuple[str, ...]:
        """Group ``g``'s values, one per group column (for rows of tables)."""
        key = self.keys[g]
        return key if isinstance(key, tuple) else (key,)


def _available(log: DealLog) -> list[str]:
    return (["owner"] if log.owner is not None else []) + list(log.kept)


def _column(log: DealLog, name: object) -> tuple[npt.NDArray[np.integer], tuple[str, ...]]:
    """Per-event codes and the sorted values of one group column."""
    if name == "owner" and log.owner is not None:
        return log.owner, log.owners
    if isinstance(name, str) and name in log.kept:
        return log.kept[name]
    if name == "owner":
        raise FunnelDataError("by='owner' needs a log built with an owner column")
    available = _available(log)
    msg = (
        f"by must be None, 'owner', a kept column or a list of them: the log has no "
        f"column {name!r} (it has {available!r}; keep more with keep=... when building it)"
    )
    raise FunnelDataError(msg, column="by", value=name)


def grouping(log: DealLog, by: object) -> Grouping:
    """Resolve ``by`` (see the module notes); a bad one names what the log offers."""
    if by is None:
        return Grouping(log, None, (), [None])
    if isinstance(by, str):
        if by == "owner" and log.owner is not None:
            return Grouping(log, "owner", ("owner",), list(log.owners))
        codes, values = _column(log, by)
        return Grouping(_regrouped(log, codes, values), "owner", (by,), list(values))
    if not isinstance(by, (list, tuple)) or not by:
        msg = f"by must be None, a column name or a non-empty list of them (got {by!r})"
        raise FunnelDataError(msg, column="by", value=by)
    names = list(by)
    twice = [n for n in names if names.count(n) > 1]
    if twice:
        msg = f"by names {twice[0]!r} twice (got {by!r})"
        raise FunnelDataError(msg, column="by", value=by)
    cols = [_column(log, n) for n in names]
    codes, keys = _combined(cols)
    labels = tuple(_JOIN.join(k) for k in keys)
    return Grouping(_regrouped(log, codes, labels), "owner", tuple(names), keys)


def _combined(
    cols: list[tuple[npt.NDArray[np.integer], tuple[str, ...]]],
) -> tuple[npt.NDArray[np.int64], list[tuple[str, ...]]]:
    """Per event, a code of the combination of values, and the combinations that occur."""
    sizes = [max(len(values), 1) for _, values in cols]
    n = len(cols[0][0])
    if np.prod(np.array(sizes, dtype=float)) < 2.0**62:
        flat = np.zeros(n, np.int64)
        for (codes, _), size in zip(cols, sizes, strict=True):
            flat *= size
            flat += codes
        uniq, inverse = np.unique(flat, return_inverse=True)
        combos = np.stack(np.unravel_index(uniq, sizes), axis=1)
    else:  # pragma: no cover - needs columns with over 2**62 value combinations
        stacked = np.stack([np.asarray(c, np.int64) for c, _ in cols], axis=1)
        combos, inverse = np.unique(stacked, axis=0, return_inverse=True)
    keys = [
        tuple(values[int(i)] for (_, values), i in zip(cols, row, strict=True))
        for row in combos.tolist()
    ]
    return inverse.reshape(-1).astype(np.int64), keys


def _regrouped(log: DealLog, codes: npt.NDArray[np.integer], names: tuple[str, ...]) -> DealLog:
    """The log with the group codes in place of the owner codes."""
    return dataclasses.replace(log, owner=codes, owners=names)
