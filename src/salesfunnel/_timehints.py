"""Advice for a time that did not parse: what it may be, and a format that reads it.

Nothing here guesses: a time the loaders cannot read is refused (see
:mod:`salesfunnel._time`), and these helpers only make the error say what the
value looks like, so the fix is one step away:

* a whole number of 9 to 16 digits may be a Unix time in seconds,
  milliseconds or microseconds (nothing in the number tells which);
* a five-digit number, perhaps with a fraction, may be a spreadsheet's serial
  day number (Excel and LibreOffice count days from 1899-12-30), written out
  because the column was not formatted as dates;
* text in a common day / month / year layout gets the ``strptime`` formats
  (:func:`datetime.datetime.strptime`) that read it, each with the date it
  reads. ``12/05/2026`` is 5 December or 12 May: both formats are named,
  with the two readings, since nothing in one value tells them apart.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

__all__ = ["DATE_FORMAT_ADVICE", "date_format_examples", "mismatch_hint", "number_hint"]

DATE_FORMAT_ADVICE = "; pass date_format= for another format, e.g. "
"""Starts the advice ending an ISO 8601 error (the command line gives its own)."""

_DEFAULT = "'%d.%m.%Y'"
# Common layouts, day-first and month-first both. Only formats that read the whole
# value are offered, so two-digit-year formats show only for two-digit years.
_DATES = (
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%B %d, %Y",
)
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
_RFC_2822 = "%a, %d %b %Y %H:%M:%S %z"  # e-mail and HTTP dates: Tue, 05 Dec 2026 10:00:00 +0000
_FORMATS = (*(d + t for d in _DATES for t in _TIMES), _RFC_2822)
# A spreadsheet's day 0 (serial 1 is 1900-01-01 only before its 1900-02-29, which never was).
_SERIAL_EPOCH = dt.datetime(1899, 12, 30)


def _reads(text: str) -> list[tuple[str, dt.datetime]]:
    out = []
    for fmt in _FORMATS:
        try:
            out.append((fmt, dt.datetime.strptime(text, fmt)))
        except ValueError:
            continue
    return out


def _shown(value: dt.datetime) -> str:
    naive = value.replace(tzinfo=None)
    return naive.isoformat(sep=" ") if naive.time() != dt.time() else naive.date().isoformat()


def _several(found: list[tuple[str, dt.datetime]]) -> str:
    (fmt, value), *rest = found
    parts = [f"{fmt!r} reads it as {_shown(value)}"]
    parts += [f"{f!r} as {_shown(v)}" for f, v in rest]
    return ", ".join(parts) + "; nothing in the value tells which"


def date_format_examples(text: str) -> str:
    """The ``strptime`` formats that read ``text``, quoted (``'%d.%m.%Y'`` when none does).

    One format: the format alone. Several: each with what it reads, and that
    nothing in the value tells them apart (never ends with a parenthesis).
    """
    found = _reads(text.strip())
    if len(found) > 1:
        return _several(found)
    return repr(found[0][0]) if found else _DEFAULT


def mismatch_hint(text: str) -> str:
    """After "does not match the date format": the formats that do read ``text``, or ``""``."""
    found = _reads(text.strip())
    if len(found) > 1:
        return f"; {_several(found)}"
    return f"; {found[0][0]!r} reads it" if found else ""


def number_hint(value: object) -> str:
    """For a number that may be a Unix time or a spreadsheet's serial day: what it may be."""
    text = str(value).strip()
    if isinstance(value, (bool, np.bool_)) or not text.isascii():
        return ""
    whole, dot, fraction = text.partition(".")
    if not whole.isdigit() or (dot and not fraction.isdigit()):
        return ""
    if not dot and 9 <= len(whole) <= 16:
        return (
            "; a number like this may be a Unix time (seconds, milliseconds or microseconds "
            "since 1970), which is not guessed: convert it to date-times first, e.g. "
            "pandas.to_datetime(column, unit='s')"
        )
    if len(whole) == 5:
        day = _SERIAL_EPOCH + dt.timedelta(days=float(text))
        return (
            f"; a number like this may be a spreadsheet's serial day number ({text} would be "
            f"{_shown(day.replace(microsecond=0))}), which is not guessed: format the column "
            "as dates before exporting, or convert it, e.g. "
            "pandas.to_datetime(column, unit='D', origin='1899-12-30')"
        )
    return ""
