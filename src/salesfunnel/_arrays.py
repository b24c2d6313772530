"""Arrays a log keeps from its caller: its own, never a view someone else can write.

The loaders keep a caller's column as it is where no conversion is needed
(integer ids in a compact range, ``datetime64[s]`` times, dense owner codes):
a copy of millions of values costs time and fresh memory. But a log is
immutable and caches what it derives (deal counts, sort orders), so it must
not share memory with an array its caller may still write: after
``df.loc[0, "deal"] = 9`` on a pandas DataFrame (pandas 2 hands out views of
its blocks), a log built from it earlier would silently change. So a kept
column is kept only when its memory cannot be written through anything else:
an Arrow buffer (immutable by Arrow's design) or a polars series' buffer
(copied by polars before a write while shared), read-only all the way down
the numpy views. Everything else is copied once, when the log is built.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

__all__ = ["private"]

_A = TypeVar("_A", bound=np.ndarray)


def _immutable(arr: np.ndarray) -> bool:
    """Whether no one can write ``arr``'s memory: read-only views down to an Arrow
    buffer or ``bytes`` (a read-only array that owns its memory counts too)."""
    base: object = arr
    while isinstance(base, np.ndarray):
        if base.flags.writeable:
            return False
        if base.base is None:
            return True
        base = base.base
    if isinstance(base, bytes) or type(base).__module__.split(".")[0] == "pyarrow":
        return True
    # A polars series' own memory (``Series.to_numpy()``): polars copies a buffer before
    # writing it while another holder (this view) references it (tested).
    return type(base).__name__ == "PySeries"


def private(out: _A, source: object) -> _A:
    """``out``, or a copy of it when it shares memory with ``source`` (the caller's
    column) and that memory may be written after the log is built."""
    if isinstance(source, np.ndarray) and np.may_share_memory(out, source) and not _immutable(out):
        copied: _A = out.copy()
        return copied
    return out
