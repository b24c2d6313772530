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

Fractions of a second are dropped (the time is floored to its second), never
silently: the parser counts the times that had one, and the loader that owns
the parser warns once per column with :class:`SubsecondTimesWarning`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sys
import warnings
import zoneinfo
from typing import Any

import numpy as np
import numpy.typing as npt

from ._calendar import utc_of_walls
from ._timehints import DATE_FORMAT_ADVICE, date_format_examples, mismatch_hint, number_hint
from .errors import FunnelDataError

__all__ = [
    "PlaceholderTimesWarning",
    "SubsecondTimesWarning",
    "TimeParser",
    "as_timedelta",
    "is_blank",
    "one_time",
    "outside_level",
    "warn_placeholder_times",
    "zone",
    "zone_argument",
]

_UTC = dt.timezone.utc
_STEP = 1 << 16  # rows per step of a whole-column check


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
    # pandas.NA / NaT and friends compare unequal to themselves or refuse bool(); a
    # signalling Decimal NaN raises decimal.InvalidOperation, an ArithmeticError.
    try:
        return bool(value != value)
    except (TypeError, ValueError, ArithmeticError):
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


def zone_argument(tz: object) -> dt.tzinfo | None:
    """An analysis' ``tz=`` as :func:`zone` reads it; a bad one refused naming ``tz``."""
    try:
        return zone(tz)
    except ValueError as exc:
        raise FunnelDataError(str(exc), column="tz", value=tz) from None


def local_to_utc(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A naive wall-clock time in ``tz`` as naive UTC; refuses a time the clocks skip
    or show twice (the hour of a daylight-saving change), as pandas does by default."""
    early = value.replace(tzinfo=tz, fold=0)
    late = value.replace(tzinfo=tz, fold=1)
    utc = early.astimezone(_UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != value.replace(fold=0):
        msg = (
            f"{value.isoformat()} does not exist in {tz} (the clocks skip it); "
            "write the time with its UTC offset"
        )
        raise ValueError(msg)
    if early.utcoffset() != late.utcoffset():
        msg = (
            f"{value.isoformat()} is ambiguous in {tz} (the clocks show it twice); "
            f"write the time with its UTC offset ({_offset(early)} or {_offset(late)})"
        )
        raise ValueError(msg)
    return utc.replace(tzinfo=None)


def _offset(value: dt.datetime) -> str:
    """``+02:00``: the UTC offset of an aware time, as ISO 8601 writes it."""
    return value.isoformat(timespec="seconds")[19:]


class SubsecondTimesWarning(UserWarning):
    """Times with a fraction of a second were read; the fractions were dropped.

    Times are kept to the second, so events less than a second apart become
    equal times, which the analyses order by their tie rules (stage order for
    deals, step order for event funnels, as PostHog orders equal timestamps),
    and a conversion window's edge moves by up to a second. Emitted once per
    time column of a load, with the count and the first such value.
    """


class PlaceholderTimesWarning(UserWarning):
    """Times that databases and spreadsheets write for "no date" were read as dates.

    ``9999-12-31`` (and any time from the year 9000 on), ``1970-01-01T00:00:00``
    (Unix time 0, what a missing timestamp becomes when it is taken as a
    number), ``1900-01-01T00:00:00`` and ``1899-12-30/31T00:00:00`` (the first
    days of SQL Server's and Excel's calendars) are valid times, and are kept
    as written; but a deal won on 9999-12-31 has a cycle of eight thousand
    years. Emitted once per log, with the count and the placeholder.
    """


_FAR = 221_845_392_000  # 9000-01-01T00:00:00: later than any real event
_PLACEHOLDERS = {
    0: "1970-01-01T00:00:00 (Unix time 0)",
    -2_208_988_800: "1900-01-01T00:00:00",
    -2_209_075_200: "1899-12-31T00:00:00",
    -2_209_161_600: "1899-12-30T00:00:00 (Excel's day 0)",
}


def warn_placeholder_times(
    seconds: npt.NDArray[np.int64],
    what: str,
    remedy: str = "drop those rows",
    span: tuple[int, int] | None = None,
) -> None:
    """Warn once (:class:`PlaceholderTimesWarning`) when ``seconds`` (UTC seconds, NaT as
    int64's minimum) hold "no date" placeholders; ``what`` names the log's times;
    ``span``, when known, is ``(min, max)`` of ``seconds``."""
    if not seconds.size:
        return
    lo, hi = span if span is not None else (int(seconds.min()), int(seconds.max()))
    found: list[str] = []
    if hi >= _FAR:
        n = int(np.count_nonzero(seconds >= _FAR))
        found.append(f"{n:,} from the year 9000 on (such as 9999-12-31)")
    if lo <= 0:
        for value, name in _PLACEHOLDERS.items():
            if lo <= value <= hi and (n := int(np.count_nonzero(seconds == value))):
                found.append(f"{n:,} at {name}")
    if found:
        msg = (
            f"{what}: of {seconds.size:,} times, {' and '.join(found)}: dates that databases "
            "and spreadsheets write for 'no date'. They are kept as dates, and stretch "
            f"durations and periods to them; if they mean no date, {remedy}"
        )
        warnings.warn(msg, PlaceholderTimesWarning, stacklevel=outside_level())


def outside_level() -> int:
    """The ``stacklevel`` of the first caller outside salesfunnel (constructors nest)."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(1)  # the one way to walk the stack
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


class TimeParser:
    """Parses the times of one input and enforces the time-zone rule across them.

    ``one(value)`` returns ``datetime64[s]`` or ``None`` for a blank, and
    raises ``ValueError`` (with what is wrong, not where) for an unparsable
    value or for a value whose kind (with / without a UTC offset) differs
    from an earlier one while no ``tz`` is given.
    """

    __slots__ = ("_first", "date_format", "first_floored", "floored", "tz")

    def __init__(self, tz: object = None, date_format: str | None = None) -> None:
        self.tz = zone(tz)
        self.date_format = date_format
        self._first: tuple[bool, object] | None = None  # (aware, value) of the first time
        self.floored = 0  # times read with a fraction of a second (dropped)
        self.first_floored: str | None = None

    def _floored(self, count: int, example: object) -> None:
        """Count ``count`` times that had a fraction; keep the first as the example."""
        if count and self.first_floored is None:
            self.first_floored = str(example)
        self.floored += count

    def seconds(
        self, parsed: list[dt.datetime], texts: list[str] | None = None
    ) -> npt.NDArray[np.datetime64]:
        """Naive ``datetime`` values (parsed from ``texts``) as ``datetime64[s]``,
        counting the fractions dropped."""
        lost = [i for i, p in enumerate(parsed) if p.microsecond]
        if lost:
            first = parsed[lost[0]] if texts is None else texts[lost[0]]
            self._floored(len(lost), first)
        return np.array(parsed, dtype="datetime64[s]")

    def floor_column(self, arr: npt.NDArray[np.datetime64]) -> npt.NDArray[np.datetime64]:
        """A ``datetime64`` column as ``datetime64[s]`` (a new array), counting the fractions."""
        out = arr.astype("datetime64[s]")
        if np.datetime_data(arr.dtype)[0] in ("Y", "M", "W", "D", "h", "m", "s", "generic"):
            return out
        # NaT stays NaT; a value with a fraction differs from its floor. In steps whose
        # temporaries stay in the cache (whole-column ones cost fresh pages).
        n, at = 0, -1
        for start in range(0, len(arr), _STEP):
            lost = out[start : start + _STEP].astype(arr.dtype) != arr[start : start + _STEP]
            lost &= ~np.isnat(arr[start : start + _STEP])
            k = int(np.count_nonzero(lost))
            if k and at < 0:
                at = start + int(np.argmax(lost))
            n += k
        if n:
            self._floored(n, str(arr[at]))
        return out

    def warn_floored(self, column: str | list[str], source: str | None, total: int) -> None:
        """Warn once (:class:`SubsecondTimesWarning`) if any time had a fraction of a second."""
        if not self.floored:
            return
        named = f"column {column!r}" if isinstance(column, str) else f"columns {column!r}"
        where = f"{source}, {named}" if source else named
        msg = (
            f"{where}: {self.floored:,} of {total:,} times had a fraction of a second "
            f"(first {self.first_floored!r}), dropped: times are kept to the second, so "
            "events less than a second apart are taken as simultaneous"
        )
        warnings.warn(msg, SubsecondTimesWarning, stacklevel=outside_level())

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
                tail = mismatch_hint(text)
                msg = f"does not match the date format {self.date_format!r}: {text!r}{tail}"
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
            advice = f"{number_hint(text)}{DATE_FORMAT_ADVICE}{date_format_examples(text)}"
            msg = f"not an ISO 8601 date or date-time: {text!r}{advice}"
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
                kind = type(value).__name__
                msg = f"not a date or date-time: {value!r} of type {kind}{number_hint(value)}"
                raise ValueError(msg)
            value = to_py()
        if isinstance(value, dt.datetime):
            aware = value.tzinfo is not None and value.utcoffset() is not None
            self.saw(aware, raw)
            if value.microsecond:
                self._floored(1, raw)
            if aware:
                value = value.astimezone(_UTC).replace(tzinfo=None)
            elif self.tz is not None:
                value = local_to_utc(value, self.tz)
            return np.datetime64(value.replace(microsecond=0), "s")
        if isinstance(value, dt.date):
            if self.tz is not None:
                return self.one(dt.datetime(value.year, value.month, value.day))
            day: np.datetime64 = np.datetime64(value, "D").astype("datetime64[s]")
            return day
        assert isinstance(value, np.datetime64)
        self.saw(False, raw)
        converted: np.datetime64 = value.astype("datetime64[s]")
        if converted.astype(value.dtype) != value:
            self._floored(1, raw)
        if self.tz is not None:
            return self.one(converted.astype(dt.datetime))
        return converted

    def naive_column(self, out: npt.NDArray[np.datetime64], *, aware: bool) -> None:
        """Apply the rule to a whole ``datetime64`` column in place.

        ``aware``: the column came from a zone-aware table column (Arrow,
        polars), whose values are UTC already.
        """
        # The first dated value, found without copying the column (its first row, mostly).
        first = int(np.argmax(~np.isnat(out))) if len(out) and np.isnat(out[0]) else 0
        if not len(out) or np.isnat(out[first]):
            return
        self.saw(aware, out[first])
        if aware or self.tz is None:
            return
        self.zone_walls(out)

    def zone_walls(self, out: npt.NDArray[np.datetime64]) -> None:
        """Wall-clock times of ``self.tz`` (``datetime64[s]``, NaT kept) as UTC, in place;
        ``ValueError`` (from :func:`local_to_utc`) for a time the clocks skip or repeat."""
        if self.walls_to_utc(out):
            return
        # A time the clocks skip or show twice, or one near datetime's ends: each
        # distinct value through the rule, which names the first such (in time order).
        uniq, inverse = np.unique(out, return_inverse=True)
        conv = np.array([self.one(v) if not np.isnat(v) else v for v in uniq], "datetime64[s]")
        out[...] = conv[inverse.reshape(-1)]

    @property
    def reads_digits(self) -> bool:
        """Whether plain ISO 8601 digits (no offset) may be read as they are: no
        ``date_format``, and a zone to read them in or no time with an offset seen."""
        return self.date_format is None and (self.tz is not None or not self.first_aware)

    def digits_read(self, out: npt.NDArray[np.datetime64]) -> bool:
        """Times read from plain digits as this parser reads them: as written, or as
        wall-clock times of ``tz`` made UTC in place; ``False`` when the zone's clocks
        skip or repeat one of them (see :meth:`walls_to_utc`)."""
        return self.tz is None or self.walls_to_utc(out)

    def walls_to_utc(self, out: npt.NDArray[np.datetime64]) -> bool:
        """Wall-clock times of ``self.tz`` (``datetime64[s]``, NaT kept) as UTC, in place,
        as :func:`local_to_utc` reads each (a property test compares them); ``False``,
        and ``out`` unchanged, when a time the clocks skip or repeat is among them (or
        one near datetime's ends): the caller's value-by-value path then names it."""
        assert self.tz is not None
        walls = out.view(np.int64)
        dated = ~np.isnat(out)
        every = bool(dated.all())
        utc = utc_of_walls(walls if every else walls[dated], self.tz)
        if utc is None:
            return False
        if every:
            walls[...] = utc
        else:
            walls[dated] = utc
        return True

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
        return self.seconds(parsed, values)


def one_time(value: object, tz: object = None) -> np.datetime64 | None:
    """One timestamp as ``datetime64[s]``; ``None`` for blank; ``ValueError`` if unparsable."""
    return TimeParser(tz).one(value)


# Microseconds per unit of a numpy timedelta64 (months and years have no fixed length).
_MICROS = {"W": 604_800_000_000, "D": 86_400_000_000, "h": 3_600_000_000, "m": 60_000_000,
           "s": 1_000_000, "ms": 1_000, "us": 1}  # fmt: skip
_PER_MICRO = {"ns": 1_000, "ps": 1_000_000, "fs": 1_000_000_000, "as": 1_000_000_000_000}


def as_timedelta(value: object) -> object:
    """A ``numpy.timedelta64`` of a fixed unit as a ``datetime.timedelta`` (exact to the
    microsecond, finer units floored); anything else, what is not positive or what
    does not fit, unchanged (the caller's check refuses it, naming it as given)."""
    if not isinstance(value, np.timedelta64) or np.isnat(value):
        return value
    unit, count = np.datetime_data(value.dtype)
    n = int(value.astype(np.int64)) * count  # exact: Python ints
    if unit in _MICROS:
        micros = n * _MICROS[unit]
    elif unit in _PER_MICRO:
        micros = n // _PER_MICRO[unit]
    else:  # months, years, generic: no fixed length
        return value
    if micros <= 0:  # refused by the caller's check, which then names it as given
        return value
    try:
        return dt.timedelta(microseconds=micros)
    except OverflowError:
        return value
