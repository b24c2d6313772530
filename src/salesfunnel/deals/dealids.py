"""The deal ids of ``DealLog.from_csv``'s pyarrow path, ranked with both threads' help.

The ids are coded as :func:`~.arrowcsv.sorted_text_codes` codes them (``lazy``:
each row's rank among the distinct ids sorted as text, the table left in
Arrow), in two stages so that the thread that parsed the other columns takes
half of the last, longest step:

* :func:`prepare` (on the ids' thread): ids written as a common prefix and a
  plain number in a compact range (:func:`~.idcodes.number_ids`; most CRMs
  count their ids up) are marked in a table of their range, ranked as text
  (:func:`~.csvtext.text_ranks`, or :func:`~.csvtext.dense_text_ranks` when
  most of the range is held), and each slot of the range given its rank, as
  :func:`~.csvtext.number_text_codes` does; any other column is coded
  whole there, by :func:`~.arrowcsv.sorted_text_codes`.
* :meth:`Prepared.fills`: each row's rank read from the slots, a slice at a
  time, as :data:`~.arrowcsv.Fill` s that either thread runs.

The table of slots (4 bytes for each number of the range: 128 MB for the
benchmark's ids, 4.5 million in a range of 32 million) is an array of its
own in small pages (:func:`~salesfunnel._arrays.fresh_array`), which this virtual
machine faults in at a steadier cost than numpy's huge pages; a helper
thread has the kernel fault them in while the ids are marked and ranked.
"""

from __future__ import annotations

import contextlib
import mmap
import sys
import threading
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from .arrowcsv import Fill, _many_distinct, fresh_array, sorted_text_codes
from .csvtext import slot_text_ranks, sparse_text_order
from .idcodes import number_ids
from .textcodes import TextTable, int_array

__all__ = ["Prepared", "prepare"]

I64 = npt.NDArray[np.int64]
_SLICE = 1 << 16  # rows read from the slots at a time
_POPULATE_WRITE = 23  # Linux's MADV_POPULATE_WRITE (not among Python's mmap constants)


class Prepared:
    """Ids whose ranks are known by slot: ``numbers`` (each id's number less the
    smallest) become the codes once :meth:`fills` have run."""

    __slots__ = ("numbers", "slots", "table")

    def __init__(self, numbers: I64, slots: np.ndarray, table: TextTable) -> None:
        self.numbers, self.slots, self.table = numbers, slots, table

    def fills(self) -> list[Fill]:
        """One :data:`~.arrowcsv.Fill` per slice of rows: its numbers become ranks."""
        rows = range(0, len(self.numbers), _SLICE)
        return [partial(_ranks, self.numbers[at : at + _SLICE], self.slots) for at in rows]

    def codes(self) -> tuple[I64, TextTable]:
        """``(codes, table)`` once every fill has run."""
        return self.numbers, self.table


def _ranks(part: I64, slots: np.ndarray) -> None:
    part[:] = slots[part]


def prepare(column: Any) -> Prepared | tuple[I64, Any] | None:
    """The ids of a text ``column`` (no nulls) ranked by slot (a :class:`Prepared`), or
    coded whole as ``sorted_text_codes(column, lazy=True)`` gives them (``None`` for a
    blank id or one holding a NUL)."""
    import pyarrow as pa

    if pa.types.is_string(column.type) and not column.null_count and _many_distinct(column):
        numbers = number_ids(column)
        if numbers is not None:
            ints, prefix, (lo, hi) = numbers
            if hi - lo <= 8 * len(ints) + 1024:  # compact, as number_text_codes says
                slots, table = _slot_ranks(ints, lo, hi)
                return Prepared(ints, slots, TextTable(int_array(table), prefix))
            return _sorted(ints, prefix)
    return sorted_text_codes(column, lazy=True)


def _slot_ranks(numbers: I64, lo: int, hi: int) -> tuple[np.ndarray, I64]:
    """Per slot of the range ``lo..hi``, the rank of its number's text among the
    distinct ``numbers`` (unset for slots no number holds), and those numbers in text
    order; ``numbers`` become offsets from ``lo`` (the slots)."""
    if lo:
        numbers -= lo
    # The slots' pages are faulted in on a helper thread while this one marks and ranks.
    slots, populating = _slot_table(hi - lo + 2, np.int32 if len(numbers) < 2**31 else np.int64)
    present = np.zeros(hi - lo + 1, np.bool_)
    present[numbers] = True
    values = np.flatnonzero(present)
    values += lo
    rank, table = slot_text_ranks(present, lo, values, slots)
    del present
    values -= lo
    slots[values] = rank
    if populating is not None:
        populating.join()
    return slots[:-1], table


def _slot_table(n: int, dtype: Any) -> tuple[np.ndarray, threading.Thread | None]:
    """An uninitialised array of ``n`` items (:func:`~salesfunnel._arrays.fresh_array`) and, for a
    map on Linux, the thread asking the kernel to fault its pages in at once
    (``MADV_POPULATE_WRITE``, Linux 5.14: one call, not a fault per page; the content is
    left as it is, so writes may go on meanwhile). A kernel without it refuses the
    advice, and the pages are faulted in as they are written."""
    out = fresh_array(n, dtype)
    base = out.base.obj if isinstance(out.base, memoryview) else None
    if not isinstance(base, mmap.mmap) or not sys.platform.startswith("linux"):
        return out, None
    populating = threading.Thread(target=_populate, args=(base,), daemon=True)
    populating.start()
    return out, populating


def _populate(mapped: mmap.mmap) -> None:
    with contextlib.suppress(OSError, ValueError):
        mapped.madvise(_POPULATE_WRITE)


def _sorted(ints: I64, prefix: str) -> tuple[I64, TextTable]:
    """Sparse numbers, as ``sorted_text_codes`` codes them: sorted, padded to the widest
    (``7`` -> ``700``) with ties broken by length (``7`` < ``70`` < ``700``)."""
    codes, ordered = sparse_text_order(ints)
    return codes, TextTable(int_array(ordered), prefix)
