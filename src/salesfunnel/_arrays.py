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

import mmap
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

__all__ = ["CORES", "copy_into", "fresh_array", "private"]

_A = TypeVar("_A", bound=np.ndarray)
_SMALL_PAGES = 1 << 22  # arrays from this many bytes on: small pages (see fresh_array)
_HALVES = 1 << 23  # copies from this many bytes on: two halves at once (see copy_into)
# The cores this process may run on (its affinity where the system has one).
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


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
    column) and that memory may be written after the log is built (a column's copy
    in small pages, :func:`fresh_array`)."""
    if isinstance(source, np.ndarray) and np.may_share_memory(out, source) and not _immutable(out):
        if out.ndim != 1:
            copied: _A = out.copy()
            return copied
        fresh = fresh_array(len(out), out.dtype)  # a column: in small pages
        copy_into(fresh, out)
        return fresh  # type: ignore[return-value]
    return out


def copy_into(fresh: np.ndarray, arr: np.ndarray) -> None:
    """``np.copyto(fresh, arr)`` (1-D, same length and dtype), in two halves at once
    from :data:`_HALVES` bytes: most of the time is the first touch of ``fresh``'s
    small pages (a fault each), which two threads take at once (80 MB: 0.034 against
    0.060 s). The halves are disjoint; ``np.copyto`` releases the GIL."""
    if fresh.nbytes < _HALVES or CORES < 2:
        np.copyto(fresh, arr)
        return
    half = len(arr) // 2
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(np.copyto, fresh[half:], arr[half:])
        np.copyto(fresh[:half], arr[:half])
        second.result()


def fresh_array(n: int, dtype: Any) -> np.ndarray:
    """An uninitialised array of ``n`` items for a fast path's result, in small pages.

    numpy advises the kernel to back an array of 4 MiB or more with huge pages.
    On the virtual machine of these benchmarks a huge page the guest has not
    used lately is handed back by the host page by page: 280 MB of fresh huge
    pages took 0.03 s of system time when just freed and 1.8 s when not,
    against 0.2 s every time in small (4 KiB) pages. So a result of
    :data:`_SMALL_PAGES` or more is a private anonymous map without that
    advice, as numpy's smaller arrays get; where ``mmap.MAP_PRIVATE`` is
    missing (Windows), ``np.empty``. The array owns its map.
    """
    dtype = np.dtype(dtype)
    size = n * dtype.itemsize
    flags = getattr(mmap, "MAP_PRIVATE", None)
    if size < max(_SMALL_PAGES, 1) or flags is None:
        return np.empty(n, dtype)
    return np.frombuffer(mmap.mmap(-1, size, flags=flags), dtype, n)
