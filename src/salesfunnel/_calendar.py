"""A zone's wall clock for UTC times, as calendar periods need it.

Times are stored as UTC seconds (see :mod:`salesfunnel._time`). A period of
days, weeks or months is cut on a calendar, and a calendar belongs to a zone:
an order placed at 00:30 on 2 January in Berlin falls on 1 January in UTC.
:func:`local_seconds` gives, per UTC time, the zone's wall-clock time in
seconds (UTC time plus the zone's offset at that instant), so that the
periods of UTC days can be cut on it unchanged.

The offsets come from the zone's own rules (:mod:`zoneinfo`, the IANA
database), asked once per hour that holds a time, not once per time: an
offset changes at most once within an hour in every zone of the database,
so where the offsets at an hour's two ends differ, the instant of the change
is found by bisection to the second, and the times of that hour on either
side of it get their own offset. The result is exact to the second, as a
per-time ``datetime.astimezone`` would be (a property test compares them).

The other way, :func:`utc_of_local` gives the instant a calendar period
begins: the first UTC second whose wall-clock time is at or after the
period's first wall-clock second. An instant belongs to the period that
began last at or before it, so periods tile time with no gap and no overlap,
even where the clocks skip a midnight (the day then begins at the change:
São Paulo went from 23:59:59 to 01:00:00 on 2018-11-04) or show it twice (the
day begins the first time).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

__all__ = ["local_seconds", "month_numbers", "utc_of_local", "wall_text"]

I64 = npt.NDArray[np.int64]
_HOUR = 3600
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_NAIVE_EPOCH = _EPOCH.replace(tzinfo=None)


_DAY = 86_400
# datetime's range (the years 1 to 9999), two days in from each end: the offsets are asked
# there for a time nearer the ends (say 9999-12-31T23:30, a common "no date" sentinel,
# whose hour ends in the year 10000) or beyond them; a zone's rules are fixed that far out.
_FIRST = int((dt.datetime.min.replace(tzinfo=dt.timezone.utc) - _EPOCH).total_seconds()) + 2 * _DAY
_LAST = int((dt.datetime.max.replace(tzinfo=dt.timezone.utc) - _EPOCH).total_seconds()) - 2 * _DAY


def _offset(zone: dt.tzinfo, second: int) -> int:
    """The zone's UTC offset, in seconds, at the UTC instant ``second`` (near or beyond
    the ends of datetime's range, the offset two days inside it)."""
    second = min(max(second, _FIRST), _LAST)
    moment = _EPOCH + dt.timedelta(seconds=second)
    off = moment.astimezone(zone).utcoffset()
    assert off is not None  # a zone gives every instant an offset
    return int(off.total_seconds())


def _change(zone: dt.tzinfo, lo: int, hi: int, after: int) -> int:
    """The first second in ``(lo, hi]`` whose offset is ``after`` (it differs at ``lo``)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(zone, mid) == after:
            hi = mid
        else:
            lo = mid
    return hi


def local_seconds(t: I64, zone: dt.tzinfo | None) -> I64:
    """Per UTC time (seconds), the wall-clock time of ``zone`` (``None``: UTC, unchanged)."""
    t = np.asarray(t, dtype=np.int64)
    if zone is None or not t.size:
        return np.array(t, dtype=np.int64)
    rel = np.floor_divide(t, _HOUR)
    first = int(rel.min())
    rel -= first  # each time's hour, from the first one
    span = int(rel.max()) + 1
    if span <= 4 * rel.size + 65_536:
        present = np.zeros(span, dtype=bool)
        present[rel] = True
        hours = np.flatnonzero(present)
        slot, places = rel, hours  # a table of every hour in the span
    else:
        # Hours far apart (a "no date" 9999-12-31 beside this year's times): a table of
        # the distinct hours only, not of the millions between them.
        hours, inverse = np.unique(rel, return_inverse=True)
        slot, places = inverse.reshape(-1), np.arange(hours.size)
    offsets = np.zeros(int(places[-1]) + 1, dtype=np.int64)
    changes: list[tuple[int, int, int]] = []  # (slot, first second of the new offset, offset)
    asked: dict[int, int] = {}  # an hour's end is the next hour's start: ask once

    def at(second: int) -> int:
        if second not in asked:
            asked[second] = _offset(zone, second)
        return asked[second]

    for k, h in zip(places.tolist(), hours.tolist(), strict=True):
        start = (first + h) * _HOUR
        before, after = at(start), at(start + _HOUR)
        offsets[k] = before
        if before != after:
            changes.append((k, _change(zone, start, start + _HOUR, after), after))
    out = offsets.take(slot)
    for k, change, after in changes:
        moved = np.flatnonzero(slot == k)
        moved = moved[t[moved] >= change]
        out[moved] = after
    out += t
    return out


# Offsets of the IANA database lie within 16 hours of UTC (local mean times before
# standard time, e.g. Manila's +15:56 until 1844, included): a wall-clock time is shown
# at most that far from the same reading taken as UTC; 27 hours leave a margin.
_REACH = 27 * _HOUR


def utc_of_walls(walls: I64, zone: dt.tzinfo) -> I64 | None:
    """Per wall-clock time of ``zone`` (seconds from 1970-01-01 00:00, as
    :func:`local_seconds` gives), the UTC second at which the clocks show it; ``None``
    when any is skipped or shown twice by the clocks (the caller names which).

    A wall time ``w`` is shown at ``u = w - o`` exactly when ``o`` is the offset in
    force at ``u``. Every offset in force within :data:`_REACH` of a wall time's hour
    is found (the offsets at the start of each hour there: an offset changes at most
    once within an hour), each is tried, and ``w`` must be shown by exactly one.
    """
    walls = np.asarray(walls, dtype=np.int64)
    if not walls.size:
        return np.zeros(0, dtype=np.int64)
    lo, hi = int(walls.min()), int(walls.max())
    if lo < _FIRST + _REACH or hi > _LAST - _REACH:
        return None  # at datetime's ends: the caller's own path
    span = np.arange(-_REACH // _HOUR, _REACH // _HOUR + 1, dtype=np.int64)
    near = np.unique(np.floor_divide(walls, _HOUR))
    probes = np.unique((near[:, None] + span).ravel()) * _HOUR
    tried = np.unique(local_seconds(probes, zone) - probes)
    out: I64 | None = None
    shown = np.zeros(walls.size, dtype=np.int8)
    for off in tried.tolist():
        candidate = walls - off
        hit = local_seconds(candidate, zone) == walls
        shown += hit
        if out is None:
            out = candidate
        else:
            np.copyto(out, candidate, where=hit)
    if out is None or not np.all(shown == 1):
        return None
    return out


def utc_of_local(wall: int, zone: dt.tzinfo) -> int:
    """The first UTC second whose wall-clock time in ``zone`` is ``wall`` or later.

    ``wall`` is a wall-clock time in seconds since 1970-01-01 00:00 (as
    :func:`local_seconds` gives). A time the clocks show twice gives its first
    instant; a time they skip gives the instant of the change.
    """
    if not _FIRST <= wall <= _LAST:  # at datetime's ends: the fixed offset there
        return wall - _offset(zone, wall)
    naive = _NAIVE_EPOCH + dt.timedelta(seconds=wall)
    # fold=0: a repeated time's first instant; a skipped one read with the offset
    # before the change, which lands past the change by the part of the gap before it.
    moment = naive.replace(tzinfo=zone, fold=0).astimezone(dt.timezone.utc)
    u = int((moment - _EPOCH).total_seconds())
    shown = u + _offset(zone, u)
    if shown == wall:
        return u
    # Skipped: the change happened at most (shown - wall) seconds before u.
    return _change(zone, u - (shown - wall) - 1, u, _offset(zone, u))


def month_numbers(t: I64, zone: dt.tzinfo) -> I64:
    """Per UTC time (seconds), its calendar month in ``zone`` (months since 1970-01),
    months beginning at :func:`utc_of_local` of their first day."""
    t = np.asarray(t, dtype=np.int64)
    if not t.size:
        return np.zeros(0, dtype=np.int64)
    ends = local_seconds(np.array([t.min(), t.max()], dtype=np.int64), zone)
    months = ends.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    first = int(months[0]) - 1  # a margin either side: the clocks may show a month twice
    numbers = np.arange(first, int(months[1]) + 2, dtype=np.int64)
    walls = numbers.astype("datetime64[M]").astype("datetime64[s]").astype(np.int64)
    starts = np.array([utc_of_local(int(w), zone) for w in walls], dtype=np.int64)
    return first + np.searchsorted(starts, t, side="right") - 1


def wall_text(second: int, zone: dt.tzinfo) -> str:
    """A UTC instant as the zone's wall-clock time with its offset, ISO 8601
    (``2024-01-01T00:00:00+01:00``), also past the year 9999 (as numpy writes it)."""
    off = _offset(zone, second)
    sign, size = ("-", -off) if off < 0 else ("+", off)
    hours, rest = divmod(size, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")
    return f"{np.datetime64(second + off, 's')}{text}"
