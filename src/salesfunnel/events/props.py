"""An event log's property columns, with text columns of the CSV fast path kept coded.

pyarrow parses a text property (``device``, ``country``) as a dictionary:
each row an index into the column's few distinct values. Turning that into
a numpy text array (``<U7``) costs a fresh array of ``4 * width`` bytes a
row, 280 MB for ``device`` at 10 million rows, mostly fresh pages. So the
fast path keeps such a column as a :class:`CodedText` (a byte or two of code
a row, and the distinct values stripped), and :class:`Properties`, the
mapping :attr:`EventLog.properties <salesfunnel.EventLog.properties>` is,
builds the text array the first time the column is read, then gives that
same array on every read: what ``properties[name]`` gives is unchanged.
The step filters read the codes directly (:meth:`Properties.coded`): a
comparison per distinct value, gathered per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..deals.arrowcsv import fresh_array

__all__ = ["CodedText", "Properties"]

_SLICE = 1 << 20  # rows gathered at a time


@dataclass(frozen=True, slots=True, eq=False)
class CodedText:
    """A text column: row ``i`` holds ``values[codes[i]]``.

    ``values`` is a numpy text array (``<Un``; entries may repeat, as two
    cells that differ only by spaces do once stripped), ``codes`` an unsigned
    integer array. :meth:`array` is the column as the pure reader gives it.
    """

    codes: npt.NDArray[np.unsignedinteger]
    values: npt.NDArray[np.str_]

    def __len__(self) -> int:
        return len(self.codes)

    def array(self) -> npt.NDArray[np.str_]:
        """Every row's text, of the dtype of :attr:`values` (fresh, small pages)."""
        out = fresh_array(len(self.codes), self.values.dtype)
        for at in range(0, len(out), _SLICE):  # a slice at a time: no index array of all rows
            part = slice(at, at + _SLICE)
            np.take(self.values, self.codes[part], out=out[part], mode="clip")  # unbuffered
        return out

    def per_row(self, table: np.ndarray) -> np.ndarray:
        """``table[codes]``: a result found once per distinct value, for every row."""
        out: np.ndarray = np.asarray(table)[self.codes]
        return out


def _frozen(values: np.ndarray) -> np.ndarray:
    view: np.ndarray = values.view()
    view.flags.writeable = False
    return view


class Properties(Mapping[str, np.ndarray]):
    """Property name to a read-only numpy array per event; coded columns built when read.

    Reading a coded column the first time builds its array (:meth:`CodedText.array`);
    every later read gives that same array object, as a ``dict`` would.
    """

    __slots__ = ("_arrays", "_coded", "_order")

    def __init__(self, columns: Mapping[str, np.ndarray | CodedText]) -> None:
        self._arrays: dict[str, np.ndarray] = {}
        self._coded: dict[str, CodedText] = {}
        for name, values in columns.items():
            if isinstance(values, CodedText):
                self._coded[name] = values
            else:
                self._arrays[name] = _frozen(values)
        self._order = tuple(columns)

    def __reduce__(self) -> tuple[type[Properties], tuple[dict[str, np.ndarray | CodedText]]]:
        return Properties, (dict(self.columns()),)

    def columns(self) -> Iterator[tuple[str, np.ndarray | CodedText]]:
        """Each column as held: an array, or a :class:`CodedText` not yet read."""
        for name in self._order:
            built = self._arrays.get(name)
            yield name, self._coded[name] if built is None else built

    def coded(self, name: str) -> CodedText | None:
        """The column ``name`` as codes, or ``None`` when it is held as an array."""
        return self._coded.get(name)

    def length(self, name: str) -> int:
        """Rows of column ``name``, without building it."""
        coded = self._coded.get(name)
        return len(coded) if coded is not None else len(self._arrays[name])

    def __getitem__(self, name: str) -> np.ndarray:
        built = self._arrays.get(name)
        if built is not None:
            return built
        coded = self._coded[name]  # KeyError for a name that is not a property
        # setdefault: two threads reading at once both get the array stored first.
        return self._arrays.setdefault(name, _frozen(coded.array()))

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._order

    def __repr__(self) -> str:
        return repr(dict(self.items()))  # as the dict it was (which builds every column)
