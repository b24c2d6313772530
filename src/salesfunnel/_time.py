"""Every date/time parse and format of the loaders, once.

Times are stored as naive ``datetime64[s]`` values. The rule for time zones
(see ``docs/data-hygiene.rst``):

* a time with a UTC offset (``2024-01-02T10:30:00+05:00``, an aware
  ``datetime``) is converted to UTC;
* a time without one is kept as written, unless ``tz=`` names its zone: then
  it is read in that zone and converted to UTC;
* one input that mixes times with and without an offset is refused unless
  ``tz=`` is given, since the naive ones could be in any zone. A date
  without a time of day (``2024-01-02``) mixes with either: it stands for
  midnight, in ``tz`` when given.

``date_format`` (a :func:`datetime.datetime.strptime` format) replaces ISO 8601
for text cells.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["DATE_FORMAT_HINT", "TimeParser", "is_blank", "one_time", "zone"]

_UTC = dt.timezone.utc
DATE_FORMAT_HINT = "; pass date_format= for another format, e.g. '%d.%m.%Y'"
"""Ends the ISO 8601 error (the command line says ``--date-format`` in its own words)."""


def is_blank(value: object) -> bool:
    """True for ``None``, blank text, NaN, NaT and pandas' missing markers."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    # pandas.NA / NaT and friends compare unequal to themselves or refuse bool().
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def zone(tz: object) -> dt.tzinfo | None:
    """``tz=`` as a ``tzinfo``: ``None``, a ``tzinfo`` or an IANA name (``'Europe/Berlin'``)."""
    if tz is None or isinstance(tz, dt.tzinfo):
        return tz
    if isinstance(tz, str):
        try:
            return zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {tz!r} (give an IANA name such as 'Europe/Berlin' or 'UTC')"
            raise ValueError(msg) from None
    msg = f"tz must be None, a tzinfo or a zone name (got {type(tz).__name__})"
    raise ValueError(msg)


class TimeParser:
    """Parses the times of one input and enforces the time-zone rule across them.

    ``one(value)`` returns ``datetime64[s]`` or ``None`` for a blank, and
    raises ``ValueError`` (with what is wrong, not where) for an unparsable
    value or for a value whose kind (with / without a UTC offset) differs
    from an earlier one while no ``tz`` is given.
    """

    __slots__ = ("_first", "date_format", "tz")

    def __init__(self, tz: object = None, date_format: str | None = None) -> None:
        self.tz = zone(tz)
        self.date_format = date_format
        self._first: tuple[bool, object] | None = None  # (aware, value) of the first time

    @property
    def first_aware(self) -> bool | None:
        """Whether the first time seen had a UTC offset (``None`` before any)."""
        return None if self._first is None else self._first[0]

    def saw(self, aware: bool, value: object) -> None:
        """Record a time's kind; refuse a mix when no zone says what the naive ones mean."""
        if self._first is None:
            self._first = (aware, value)
            return
        first_aware, first = self._first
        if aware != first_aware and self.tz is None:
            kinds = ("without", "with") if aware else ("with", "without")
            msg = (
                f"a time {kinds[1]} a UTC offset among times {kinds[0]} one (first {first!r}); "
                "pass tz= to give the zone of the times without an offset"
            )
            raise ValueError(msg)

    def _text(self, text: str) -> dt.datetime:
        if self.date_format is not None:
            try:
                return dt.datetime.strptime(text, self.date_format)
            except ValueError:
                msg = f"does not match the date format {self.date_format!r}: {text!r}"
                raise ValueError(msg) from None
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            if text.endswith(" UTC") and ":" in text:
                # "2019-10-01 00:00:00 UTC", as BigQuery and many shop exports write
                # times: the same as the ISO offset +00:00.
                try:
                    return dt.datetime.fromisoformat(text[:-4] + "+00:00")
                except ValueError:
                    pass
            msg = f"not an ISO 8601 date or date-time: {text!r}{DATE_FORMAT_HINT}"
            raise ValueError(msg) from None

    def one(self, value: object) -> np.datetime64 | None:
        if is_blank(value):
            return None
        raw = value
        if isinstance(value, str):
            text = value.strip()
            value = self._text(text)
            if ":" not in text and value.time() == dt.time() and value.tzinfo is None:
                value = value.date()  # a day without a time of day: no zone to mix up
        elif not isinstance(value, (dt.date, np.datetime64)):
            to_py = getattr(value, "to_pydatetime", None)  # pandas.Timestamp
            if not callable(to_py):
                msg = f"not a date or date-time: {value!r} of type {type(value).__name__}"
                raise ValueError(msg)
            value = to_py()
        if isinstance(value, dt.datetime):
            aware = value.tzinfo is not None and value.utcoffset() is not None
            self.saw(aware, raw)
            if aware:
                value = value.astimezone(_UTC).replace(tzinfo=None)
            elif self.tz is not None:
                value = value.replace(tzinfo=self.tz).astimezone(_UTC).replace(tzinfo=None)
            return np.datetime64(value.replace(microsecond=0), "s")
        if isinstance(value, dt.date):
            if self.tz is not None:
                return self.one(dt.datetime(value.year, value.month, value.day))
            day: np.datetime64 = np.datetime64(value, "D").astype("datetime64[s]")
            return day
        assert isinstance(value, np.datetime64)
        self.saw(False, raw)
        converted: np.datetime64 = value.astype("datetime64[s]")
        if self.tz is not None:
            return self.one(converted.astype(dt.datetime))
        return converted

    def naive_column(self, out: npt.NDArray[np.datetime64], *, aware: bool) -> None:
        """Apply the rule to a whole ``datetime64`` column in place.

        ``aware``: the column came from a zone-aware table column (Arrow,
        polars), whose values are UTC already.
        """
        present = out[~np.isnat(out)]
        if not present.size:
            return
        self.saw(aware, present[0])
        if aware or self.tz is None:
            return
        # Offsets change with daylight saving time: convert each distinct value once.
        uniq, inverse = np.unique(out, return_inverse=True)
        conv = np.array([self.one(v) if not np.isnat(v) else v for v in uniq], "datetime64[s]")
        out[...] = conv[inverse.reshape(-1)]

    def texts(self, values: list[Any]) -> npt.NDArray[np.datetime64] | None:
        """Fast path for ISO 8601 text without offsets; ``None`` when it does not apply."""
        if self.date_format is not None or self.tz is not None:
            return None
        iso = dt.datetime.fromisoformat
        try:
            parsed = [iso(v) for v in values]
        except (TypeError, ValueError):
            return None
        if any(p.tzinfo is not None for p in parsed):
            return None
        timed = next((v for v in values if ":" in v), None)
        if timed is not None:
            self.saw(False, timed)
        return np.array(parsed, dtype="datetime64[s]")


def one_time(value: object, tz: object = None) -> np.datetime64 | None:
    """One timestamp as ``datetime64[s]``; ``None`` for blank; ``ValueError`` if unparsable."""
    return TimeParser(tz).one(value)
