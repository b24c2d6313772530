"""Per event, the text of its breakdown value, kept as codes into the distinct texts.

A breakdown reads a text per event (see :mod:`.grouping`: a property's text,
``""`` where it has none, several properties joined by ``" / "``). Made as a
numpy text array, that is ``4 * width`` bytes an event: 2.8 GB for a
``device`` of up to seven letters at 1e8 events, and 8.4 GB for a 64-bit
integer property (``<U21``). :class:`GroupValues` holds a code per event into
the distinct texts instead (a text property of the CSV path is coded already,
a number has few distinct values) and gives the texts of the rows asked for,
so the engine reads ``values[rows]`` as before. A text array passed in is
used as it is (``codes`` is ``None``): sorting it to code it would cost more
than it saves.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .._format import value_text
from .props import CodedText

__all__ = ["GroupValues", "coded_column", "joined", "value_text"]

_RANGE = 1 << 20  # integers within this range are coded by offset, not by a sort
_PRODUCT = 1 << 22  # several properties: coded together up to this many combinations


class GroupValues:
    """Per event, ``names[codes[i]]`` (or ``names[i]`` when ``codes`` is ``None``).

    ``names`` may repeat a text (two cells that differ only by spaces, once
    stripped): every method compares texts, never codes.
    """

    __slots__ = ("codes", "names")

    def __init__(self, codes: np.ndarray | None, names: npt.NDArray[np.str_]) -> None:
        self.codes = codes
        self.names = names

    def __len__(self) -> int:
        return len(self.names if self.codes is None else self.codes)

    @property
    def dtype(self) -> np.dtype[np.str_]:
        return self.names.dtype

    def __getitem__(self, rows: int | slice | np.ndarray) -> np.ndarray:
        """The texts of ``rows`` (an index, a slice or an index array)."""
        at = rows if self.codes is None else self.codes[rows]
        out: np.ndarray = self.names[at]
        return out

    def valued(self, rows: np.ndarray) -> npt.NDArray[np.bool_]:
        """Per row of ``rows``: it has a value (its text is not ``""``)."""
        if self.codes is None:
            out: npt.NDArray[np.bool_] = self.names[rows] != ""
            return out
        return (self.names != "")[self.codes[rows]]  # type: ignore[no-any-return]

    def per_event(self, table: np.ndarray) -> np.ndarray:
        """``table[j]`` found once per distinct text ``names[j]``, for every event."""
        if self.codes is None:
            return table
        out: np.ndarray = table[self.codes]
        return out

    def equal(self, text: str) -> npt.NDArray[np.bool_]:
        """Per event: its text is ``text``."""
        return self.per_event(self.names == text)

    def groups(self, none: str) -> list[str]:
        """The distinct groups some event is in, sorted: its text, ``none`` for ``""``."""
        if self.codes is None:
            held = np.unique(self.names)
        else:
            mark = np.zeros(len(self.names), dtype=bool)
            mark[self.codes] = True  # every write is True: no order to depend on
            held = self.names[mark]
        return sorted({str(t) or none for t in held.tolist()})

    def in_group(self, group: str, none: str) -> npt.NDArray[np.bool_]:
        """Per event: it is in ``group`` (its text, or ``none`` for ``""``)."""
        return self.per_event(np.where(self.names == "", none, self.names) == group)


def coded_column(values: np.ndarray | CodedText) -> GroupValues:
    """One property's :class:`GroupValues`: ``""`` where it is missing, else its text
    (a float's as :func:`value_text` writes it)."""
    if isinstance(values, CodedText):
        return GroupValues(values.codes, values.values)
    col = values
    if col.dtype.kind == "U":
        return GroupValues(None, col)
    if col.dtype.kind == "f":
        distinct, inverse = np.unique(col, return_inverse=True)  # each distinct value once
        names = [("" if np.isnan(v) else value_text(v)) for v in distinct.tolist()]
        return GroupValues(inverse.reshape(-1), np.array(names, dtype=str))
    if col.dtype.kind in "iu" and len(col):
        lo, hi = int(col.min()), int(col.max())
        # By offset (no sort), with the texts numpy writes for the integers.
        if hi - lo < _RANGE and lo > -(2**62) and hi < 2**62:
            codes = col.astype(np.int64) - lo if lo else col
            return GroupValues(codes, _narrow(np.arange(lo, hi + 1, dtype=np.int64).astype(str)))
    if col.dtype.kind in "iub":
        distinct, inverse = np.unique(col, return_inverse=True)
        return GroupValues(inverse.reshape(-1), _narrow(distinct.astype(str)))
    return GroupValues(None, col.astype(str))


def _narrow(texts: npt.NDArray[np.str_]) -> npt.NDArray[np.str_]:
    """``texts`` as wide as its longest (``astype(str)`` of int64 is ``<U21``): the
    per-unit group arrays take this width."""
    if not len(texts):
        return texts
    return texts.astype(f"<U{max(1, int(np.char.str_len(texts).max()))}")


def joined(parts: list[GroupValues], none: str) -> GroupValues | None:
    """Several properties' values joined by ``" / "`` (``none`` for a missing part,
    ``""`` when every part is missing), coded as combinations of the parts' codes;
    ``None`` when a part is not coded or there are too many combinations (the
    caller then joins the texts per event)."""
    sizes = [len(p.names) for p in parts]
    if any(p.codes is None for p in parts) or float(np.prod(sizes, dtype=np.float64)) > _PRODUCT:
        return None
    codes = np.zeros(len(parts[0]), dtype=np.int64)
    names: np.ndarray | None = None
    blank = np.ones(1, dtype=bool)
    for p, size in zip(parts, sizes, strict=True):
        assert p.codes is not None
        codes *= size  # combination (i, j) is i * size + j, as the outer sum ravels
        codes += p.codes
        piece = np.where(p.names == "", none, p.names).astype(object)
        names = piece if names is None else np.add.outer(names + " / ", piece).ravel()
        blank = np.logical_and.outer(blank, p.names == "").ravel()
    assert names is not None
    text = names.astype(str)
    text[blank] = ""
    return GroupValues(codes, text)
