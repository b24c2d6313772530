"""One number formatter for every text people read (labels, tables, SVG titles).

An undefined value (``None`` or NaN) is shown as an em dash, never as ``nan``.
"""

from __future__ import annotations

import math

EM_DASH = "\u2014"


def is_missing(value: float | None) -> bool:
    """True for ``None`` and NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_percent(rate: float | None, digits: int = 1) -> str:
    """Format a rate in [0, 1] as a percentage; undefined -> em dash.

    >>> fmt_percent(0.05)
    '5.0%'
    >>> fmt_percent(float("nan"))
    '\u2014'
    """
    if rate is None or not math.isfinite(rate):
        return EM_DASH
    percent = float(rate) * 100.0  # a Python float: overflow gives inf, not a warning
    if not math.isfinite(percent):
        return EM_DASH  # a finite rate beyond 1e306 has no percentage worth printing
    return f"{percent:.{digits}f}%"


def fmt_number(value: float | None) -> str:
    """Format a count or amount: integers without decimals, thousands separated.

    >>> fmt_number(1234.0), fmt_number(2.5), fmt_number(None)
    ('1,234', '2.5', '\u2014')
    """
    if value is None or not math.isfinite(value):
        return EM_DASH
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def json_number(value: float | None) -> float | None:
    """A float for JSON, or ``None`` when undefined (JSON has no NaN)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def fmt_compact(value: float) -> str:
    """Short amounts for chart labels: 3.64M, 899k, 950.

    >>> fmt_compact(3_641_234.5), fmt_compact(899_528.68), fmt_compact(950.0)
    ('3.64M', '900k', '950')
    """
    v = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= limit:
            return f"{value / limit:.3g}{suffix}"
    return fmt_number(round(value, 2))
