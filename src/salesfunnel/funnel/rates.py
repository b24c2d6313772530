"""The two rates that labelling a chart needs, apart from :mod:`salesfunnel.metrics`.

:mod:`salesfunnel.metrics` re-exports them with the rest of its functions (and
its rules apply); they live here so that drawing a chart does not import the
metric records (three dataclasses, about 2 ms to create in a fresh process).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .model import Funnel  # the examples below use it

if TYPE_CHECKING:
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = ["conversion_from_first", "step_conversion"]


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den with NaN (never inf) where den == 0.

    A quotient that overflows float64 (a denormal denominator) is also undefined.
    """
    out = np.full(num.shape, np.nan, dtype=np.float64)
    with np.errstate(over="ignore"):
        np.divide(num, den, out=out, where=den != 0)
    out[np.isinf(out)] = np.nan
    return out


def step_conversion(funnel: Funnel) -> FloatArray:
    """Share of each stage's previous stage that reached it.

    Returns ``count[i] / count[i-1]``; the first entry is 1.0 (NaN if the first
    stage is 0); NaN wherever the previous stage is 0.

    Examples
    --------
    >>> f = Funnel.from_counts({"Calls": 200, "Meetings": 40, "Paid": 10})
    >>> step_conversion(f)
    array([1.  , 0.2 , 0.25])
    """
    c = funnel.counts
    out = np.empty(len(c), dtype=np.float64)
    out[0] = 1.0 if c[0] > 0 else math.nan
    out[1:] = _ratio(c[1:], c[:-1])
    return out


def conversion_from_first(funnel: Funnel) -> FloatArray:
    """Share of the first stage that reached each stage (NaN if the first is 0).

    Examples
    --------
    >>> conversion_from_first(Funnel.from_counts({"Calls": 200, "Meetings": 40, "Paid": 10}))
    array([1.  , 0.2 , 0.05])
    """
    c = funnel.counts
    return _ratio(c, np.full_like(c, c[0]))
