"""Ids from codes, now (:func:`ids_from`) or where first asked (:class:`CodedIds`).

A deal log keeps text deal ids as a table (a :class:`~.textcodes.TextTable`
kept in Arrow, or an array of ``str`` once built) and integer ids as codes
less an offset; an event log keeps its unit ids the same way (offset 0).
Text ids cost a Python string each, so results that may never read them hold
a :class:`CodedIds`: the codes and the log's table, not the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..funnel.later import Later

__all__ = ["CodedIds", "ids_at", "ids_from", "ids_part"]


def ids_from(table: Any, offset: int, codes: npt.NDArray[np.integer]) -> np.ndarray:
    """The ids of ``codes``: entries of ``table`` (text ids), or the codes plus
    ``offset`` when ``table`` is ``None`` (integer ids)."""
    if table is not None:
        ids: np.ndarray = table[codes]
        return ids
    return codes.astype(np.int64, copy=False) + offset


@dataclass(frozen=True, slots=True)
class CodedIds:
    """The ids of ``codes`` (see :meth:`DealLog.ids_later`, :meth:`EventLog.ids_later`),
    looked up only where asked: ``table`` and ``offset`` are the log's, as
    :func:`ids_from` reads them. ``codes`` is read when the ids are, maybe long
    after: it must be an array nothing writes to afterwards (the caller's own,
    or a cached engine column, which is never written in place)."""

    table: Any
    offset: int
    codes: npt.NDArray[np.integer]

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, pos: npt.NDArray[np.integer]) -> np.ndarray:
        return ids_from(self.table, self.offset, self.codes[pos])

    def all(self) -> np.ndarray:
        """Every id, in order."""
        return ids_from(self.table, self.offset, self.codes)

    def take(self, index: npt.NDArray[np.integer]) -> CodedIds:
        """The ids at ``index``, still codes."""
        return CodedIds(self.table, self.offset, self.codes[index])

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype the ids have when looked up (object for a table kept in Arrow)."""
        return ids_from(self.table, self.offset, self.codes[:0]).dtype


def ids_at(
    ids: np.ndarray | CodedIds | Later, positions: npt.NDArray[np.integer] | None
) -> np.ndarray:
    """``ids`` at ``positions`` (``None``: all, in order), looked up or made if not yet."""
    source: np.ndarray | CodedIds = ids.value() if isinstance(ids, Later) else ids
    if positions is None:
        return source if isinstance(source, np.ndarray) else source.all()
    return source[positions]


def ids_part(ids: Later, index: slice | npt.NDArray[np.integer]) -> np.ndarray:
    """A stage's ids: the ids that ``ids`` makes at ``index`` (a slice: a view; positions:
    a gather), read-only (the deal and event funnels' :attr:`Stage.data`, each a
    :class:`Later` of this)."""
    part: np.ndarray = ids.value()[index]
    part.flags.writeable = False  # a view: the ids it shows stay as they are
    return part
