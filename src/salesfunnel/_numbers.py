"""Numbers from callers and from text: one rule for each.

:func:`real_number`: what counts as a number when a caller passes one, for every
argument that takes one. :func:`number`: a number written as text (a CSV cell,
a record's string), with its decimal mark and thousands separators.

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

import functools
import math
import numbers
import re

import numpy as np

__all__ = ["number", "real_number"]


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


# The forms of a number, compiled on first use, not at import: a process that only draws
# charts never reads a number from text (the five patterns were about 0.7 ms of its import).
@functools.cache
def _plain() -> re.Pattern[str]:
    return re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@functools.cache
def _marked(decimal: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The grouped and the spaced form with ``decimal`` ("." or ",") as the decimal mark."""
    sep = {".": ",", ",": "."}[decimal]  # (KeyError for another mark, as before)
    grouped = re.compile(rf"[+-]?\d{{1,3}}(\{sep}\d{{3}})+(\{decimal}\d*)?")
    # Groups of three set apart by a space (French, Russian, ISO 80000: also no-break and
    # narrow no-break spaces, as spreadsheets export them) or an apostrophe (Swiss), one
    # kind per number.
    spaced = re.compile(
        rf"[+-]?\d{{1,3}}([ \u00a0\u202f\u2009'\u2019])\d{{3}}(\1\d{{3}})*(\{decimal}\d*)?"
    )
    return grouped, spaced


_SPECIAL = frozenset(("nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"))


def number(text: str, decimal: str = ".") -> float:
    """A number written as text, with ``decimal`` as the decimal mark.

    Thousands separators (``,`` with ``decimal='.'``, ``.`` with
    ``decimal=','``, and with either mark a space, a no-break or narrow
    no-break space or an apostrophe) are accepted only in full groups of three
    digits before the decimal mark (``1,234,567.5``, ``1 234 567,5``); anything
    else that holds the other mark (``1,5`` or ``1.234,56`` with
    ``decimal='.'``) is ``ValueError``, never a guess.

    >>> number("1 234,5", ","), number("1\u00a0234.5"), number("1'234'567")
    (1234.5, 1234.5, 1234567.0)
    """
    cleaned = text.strip().replace("_", "")
    if cleaned.lower() in _SPECIAL:
        return float(cleaned)  # the caller decides about NaN and infinities
    plain = cleaned
    if decimal == ",":
        plain = "" if "." in cleaned else cleaned.replace(",", ".")
    if _plain().fullmatch(plain):
        return float(plain)
    grouped, spaced_form = _marked(decimal)
    if grouped.fullmatch(cleaned):
        sep = "," if decimal == "." else "."
        return float(cleaned.replace(sep, "").replace(decimal, "."))
    spaced = spaced_form.fullmatch(cleaned)
    if spaced:
        return float(cleaned.replace(spaced.group(1), "").replace(decimal, "."))
    raise ValueError(_refusal(text, cleaned, decimal))


def _refusal(text: str, cleaned: str, decimal: str) -> str:
    """Why ``text`` is not a number, with the hint that fits it (none rather than a wrong one)."""
    import unicodedata

    signs = sorted({c for c in cleaned if unicodedata.category(c) == "Sc"})
    if signs:  # '$1,200': the sign is the trouble, not the comma
        return f"not a number (got {text!r}; remove the currency sign {''.join(signs)!r})"
    if decimal == ",":
        return f"not a number with ',' as the decimal mark (got {text!r})"
    if "," in cleaned:
        try:
            number(cleaned, ",")
        except ValueError:  # not a decimal comma either: no hint to follow
            return f"not a number (got {text!r})"
        return f"not a number (got {text!r}; pass decimal=',' for a decimal comma)"
    return f"not a number (got {text!r})"
