"""The fast path's scan of a CSV file's bytes for quotes, NULs and non-ASCII bytes
(see ``_check_bytes`` in :mod:`.arrowcsv`)."""

from __future__ import annotations

import mmap

import numpy as np

__all__ = ["high_bytes"]

_BLOCK = 1 << 20  # bytes scanned at a time


def high_bytes(mm: mmap.mmap, view: np.ndarray, at: int, end: int) -> bool | None:
    """Whether ``mm[at:end]`` (``view`` is ``mm`` as bytes) holds a byte above 127,
    or ``None`` when it holds a quote or a NUL (the fast path stands aside).

    A block at a time, so that the three scans of a block find it in the cache:
    0.03 s of CPU for the 407 MB of the 1e7-row event file, against 0.06 to
    0.08 s for a scan of the whole file for each.
    """
    high = False
    for a in range(at, end, _BLOCK):
        e = min(a + _BLOCK, end)
        if mm.find(b'"', a, e) >= 0 or mm.find(b"\0", a, e) >= 0:
            return None
        high = high or int(view[a:e].max()) > 127
    return high
