"""What counts as a number when a caller passes one: one rule for every argument that takes one.

A number is an ``int``, a ``float``, any of numpy's integer and floating
scalars, a ``fractions.Fraction`` (all :class:`numbers.Real`) or a
``decimal.Decimal`` (what database drivers return for ``SUM`` and
``NUMERIC``). A ``bool`` is not one, although Python counts it as an ``int``
(``True`` as a count or a probability is always a mistake), and neither is a
text such as ``"0.5"``, which numpy would silently convert. Deciding this by
``isinstance(value, (int, float))`` misses numpy's ``int64`` and ``float32``,
and one filter did exactly that: it compared a property as text when given
``np.int64(100)``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["real_number"]


def real_number(value: object) -> float | None:
    """``value`` as a float if it is a number, else ``None``.

    NaN stays NaN (a signalling ``Decimal`` NaN too); an integer too large for a
    float gives an infinity of its sign. Range checks are the caller's.

    >>> real_number(np.int64(3)), real_number(True), real_number("0.5")
    (3.0, None, None)
    """
    if isinstance(value, (bool, np.bool_)):
        return None
    if not isinstance(value, numbers.Real):
        import decimal  # here, not at the top: a first chart need not load it

        if not isinstance(value, decimal.Decimal):
            return None
        if value.is_nan():
            return math.nan
    try:
        return float(value)
    except OverflowError:  # an int beyond 1e308
        return math.inf if value > 0 else -math.inf  # type: ignore[operator]
