"""The statistics of :func:`~salesfunnel.compare`, usable on their own.

Wilson intervals, the pooled two-proportion z-test and the Holm and
Benjamini-Hochberg adjustments; the formulas and their sources are in
:mod:`salesfunnel.funnel.compare`. Every function checks its numbers first: a
NaN, an infinity, a negative count, a p-value outside [0, 1] or a value that
is not a number is a :class:`~salesfunnel.FunnelDataError` naming the argument
and the value, never a result computed from it. ``None`` is returned only
where the docstring says so (no proportion to estimate, no variance).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Literal

from .._numbers import real_number
from ..errors import FunnelDataError

__all__ = [
    "Correction",
    "adjust_p_values",
    "confidence_z",
    "normal_cdf",
    "two_proportion_test",
    "wilson_interval",
]

Correction = Literal["holm", "bh", "none"]
CORRECTIONS: tuple[Correction, ...] = ("holm", "bh", "none")


def normal_cdf(x: float) -> float:
    """Standard normal CDF, ``0.5 * erfc(-x / sqrt(2))``.

    >>> round(normal_cdf(1.959963984540054), 6)
    0.975
    """
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def confidence_z(confidence: float) -> float:
    """The two-sided normal quantile of ``confidence`` (1.96 for 0.95)."""
    level = real_number(confidence)
    if level is None or not 0.0 < level < 1.0:
        msg = f"confidence must be strictly between 0 and 1 (got {confidence!r})"
        raise FunnelDataError(msg, column="confidence", value=confidence)
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def _count(name: str, value: float) -> float:
    """``value`` as a float, or a FunnelDataError naming ``name`` and the value."""
    number = real_number(value)
    if number is None or not math.isfinite(number) or number < 0:
        msg = f"{name} must be a finite number >= 0 (got {value!r})"
        raise FunnelDataError(msg, column=name, value=value)
    return number


def wilson_interval(
    successes: float, trials: float, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Wilson score interval of the proportion ``successes / trials``.

    Returns ``None`` when ``trials`` is 0 or ``successes > trials`` (no
    proportion to estimate: a stage larger than the one before it). A count
    that is negative, NaN, infinite or not a number is refused
    (:class:`~salesfunnel.FunnelDataError`).

    Examples
    --------
    Newcombe (1998), Table I, 81 of 263: 0.2553 to 0.3662.

    >>> lo, hi = wilson_interval(81, 263)
    >>> round(lo, 4), round(hi, 4)
    (0.2553, 0.3662)
    """
    x, n = _count("successes", successes), _count("trials", trials)
    z = confidence_z(confidence)
    if n == 0 or x > n:
        return None
    p = x / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    # Clamp float noise: the exact interval always lies in [0, 1] and contains p.
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def two_proportion_test(x1: float, n1: float, x2: float, n2: float) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test.

    ``None`` when a denominator is 0, a numerator exceeds its denominator, or
    both groups are all-success or all-failure (no variance: no evidence either
    way). A count that is negative, NaN, infinite or not a number is refused.

    Examples
    --------
    45 of 100 against 30 of 100: pooled p = 0.375, z = 2.191, p = 0.0285.

    >>> round(two_proportion_test(45, 100, 30, 100), 4)
    0.0285
    """
    x1, n1 = _count("x1", x1), _count("n1", n1)
    x2, n2 = _count("x2", x2), _count("n2", n2)
    if n1 == 0 or n2 == 0 or x1 > n1 or x2 > n2:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    if var <= 0.0:
        return None
    z = (x1 / n1 - x2 / n2) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2.0))


def _p_values(p_values: Sequence[float]) -> list[float]:
    """The p-values as floats; NaN kept (no test), anything outside [0, 1] refused."""
    out: list[float] = []
    for k, p in enumerate(p_values):
        if p is None:
            msg = (
                f"p-value {k} is None: leave out the tests without a p-value, "
                "or pass float('nan') to keep their place"
            )
            raise FunnelDataError(msg, column="p_values", index=k, value=p)
        number = real_number(p)
        if number is None or not (math.isnan(number) or 0.0 <= number <= 1.0):
            msg = f"p-value {k} must be a number from 0 to 1, or NaN for no test (got {p!r})"
            raise FunnelDataError(msg, column="p_values", index=k, value=p)
        out.append(number)
    return out


def adjust_p_values(p_values: Sequence[float], correction: Correction = "holm") -> list[float]:
    """P-values adjusted for multiple comparisons, in the input order.

    ``correction`` is ``"holm"`` (Holm 1979), ``"bh"`` (Benjamini & Hochberg
    1995) or ``"none"``; the formulas are in :mod:`salesfunnel.funnel.compare`.
    An adjusted p-value is never below its raw one and never above 1.

    A NaN stands for a test that was not run: it stays NaN and does not count
    among the ``m`` tests, as in R's ``p.adjust``. A p-value below 0 or above
    1, ``None`` or anything that is not a number is refused
    (:class:`~salesfunnel.FunnelDataError` naming its position).

    Examples
    --------
    Four tests, p = 0.01, 0.04, 0.03, 0.005. Sorted: 0.005, 0.01, 0.03, 0.04.
    Holm multiplies by 4, 3, 2, 1 (0.02, 0.03, 0.06, 0.04) and carries the
    running maximum (0.02, 0.03, 0.06, 0.06); BH by 4/1, 4/2, 4/3, 4/4
    (0.02, 0.02, 0.04, 0.04) and carries the running minimum from the top:

    >>> p = [0.01, 0.04, 0.03, 0.005]
    >>> [round(x, 6) for x in adjust_p_values(p, "holm")]
    [0.03, 0.06, 0.06, 0.02]
    >>> [round(x, 6) for x in adjust_p_values(p, "bh")]
    [0.02, 0.04, 0.04, 0.02]

    With a NaN, the other three are three tests (Holm multiplies by 3, 2, 1):

    >>> [round(x, 6) for x in adjust_p_values([0.005, 0.03, float("nan"), 0.01])]
    [0.015, 0.03, nan, 0.02]
    """
    if correction not in CORRECTIONS:
        msg = f"correction must be one of {list(CORRECTIONS)!r} (got {correction!r})"
        raise FunnelDataError(msg, column="correction", value=correction)
    values = _p_values(p_values)
    tested = [k for k, p in enumerate(values) if not math.isnan(p)]
    m = len(tested)
    if correction == "none" or m == 0:
        return values
    order = sorted(tested, key=lambda k: values[k])  # stable: ties keep input order
    adjusted = list(values)  # NaN where no test
    if correction == "holm":
        running = 0.0
        for rank, k in enumerate(order):  # rank j - 1: multiplier m - j + 1 = m - rank
            running = max(running, min(1.0, (m - rank) * values[k]))
            adjusted[k] = running
    else:
        running = 1.0
        for rank in range(m - 1, -1, -1):
            k = order[rank]
            running = min(running, min(1.0, m * values[k] / (rank + 1)))
            adjusted[k] = running
    return adjusted
