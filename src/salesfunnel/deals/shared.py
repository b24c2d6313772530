"""What the deal analyses share: argument checks, groups, snapshots, the calling convention.

Rules shared by every analysis (see the "Deal history" docs page for worked
examples):

* **Order of a deal's events**: by time; at equal times by pipeline order
  (open stages, won, lost, frozen). Input row order never matters.
* **Stage of a deal at time T**: the label of its last event at or before T.
  A deal whose last event is won or lost is closed, frozen is on hold,
  anything else is open. An event after an outcome reopens the deal under the
  same id.
* **Periods** are half-open, ``start <= t < end``. Snapshots (``as_of``)
  include events at exactly ``as_of``.
* **Unknown times** (undated wide-form stages): such a deal still counts as
  having reached its stages; a time-based figure that would need the missing
  time leaves the deal out and reports how many deals that was.
* Durations are in days (floats). Undefined numbers are NaN in results,
  ``None`` in records and JSON.
* **Calling convention**: ``f(log, pipeline=None, *, start=None, end=None,
  as_of=None, by=None, ...)``; everything after ``pipeline`` is keyword-only
  (the old positional forms still work for one release, with a
  ``DeprecationWarning`` naming the keyword). ``pipeline=None`` means the
  log's own; another pipeline must know every label the log uses.
* **When a dict comes back**: exactly when ``by`` is given to an analysis
  whose result describes one group of deals (closed, cohort and active
  funnels, durations, time to close, forecast): one result per group of the
  log, sorted (groups without deals in scope get empty results, so rows line
  up). ``by`` is ``"owner"``, a column kept with ``keep=`` (product, region,
  ...) or a list of them, whose keys are tuples (see
  :mod:`salesfunnel.deals.groups`). Results that are already lists of rows
  (monthly volume, stalled deals) never become dicts: ``by`` adds a column
  per name. ``by=None`` (the default) is the whole team. A deal's group is
  the value on its last event in scope.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt

from .._time import one_time as _one_time
from ..errors import FunnelDataError
from . import engine as eng
from .log import DealLog
from .pipeline import Pipeline

Mode = Literal["cumulative", "classic", "strict"]
By = Literal["owner"] | None
Instant = str | dt.date | dt.datetime | np.datetime64 | None

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
DAY = float(eng.DAY_S)
# Bytes of per-deal tables beyond which a random access per event misses the cache:
# the passes over the events renumber sparse codes and take two threads earlier there.
CACHE_BYTES = 1 << 23

F = TypeVar("F", bound=Callable[..., Any])


def check_log(func: str, log: object, pipeline: object = None) -> None:
    """Refuse a call whose first arguments are not ``(log[, pipeline])``, naming what arrived.

    Swapped or misplaced arguments otherwise fail deep inside with an
    ``AttributeError`` about a missing ``pipeline`` attribute.
    """
    if not isinstance(log, DealLog):
        msg = f"{func}() takes a DealLog first: {func}(log, ...) (got {type(log).__name__})"
        raise FunnelDataError(msg, column="log", value=log)
    if pipeline is not None and not isinstance(pipeline, Pipeline):
        msg = (
            f"{func}()'s second argument is the pipeline: {func}(log, pipeline) "
            f"(got {type(pipeline).__name__})"
        )
        raise FunnelDataError(msg, column="pipeline", value=pipeline)


def keyword_options(*legacy: str) -> Callable[[F], F]:
    """Accept the options ``legacy`` by position after ``(log, pipeline)`` for one release.

    The decorated analysis declares them keyword-only. A call that still
    passes them by position gets a :class:`DeprecationWarning` naming the
    keywords to use, then the same result as the keyword call.
    """

    def wrap(func: F) -> F:
        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            if args:
                check_log(func.__name__, args[0], args[1] if len(args) > 1 else None)
            if len(args) > 2:
                extra = args[2:]
                if len(extra) > len(legacy):
                    most = 2 + len(legacy)
                    msg = f"{func.__name__}() takes at most {most} positional arguments"
                    raise TypeError(f"{msg} ({len(args)} given)")
                names = legacy[: len(extra)]
                for name, value in zip(names, extra, strict=True):
                    if name in kwargs:
                        msg = f"{func.__name__}() got multiple values for argument {name!r}"
                        raise TypeError(msg)
                    kwargs[name] = value
                keywords = ", ".join(f"{n}=..." for n in names)
                warnings.warn(
                    f"{func.__name__}(): passing {', '.join(names)} by position is "
                    f"deprecated; pass {keywords} by keyword",
                    DeprecationWarning,
                    stacklevel=2,
                )
                args = args[:2]
            return func(*args, **kwargs)

        return cast(F, call)

    return wrap


def dumps(payload: dict[str, Any], indent: int | None) -> str:
    """Strict JSON of a result (no NaN; numbers already made JSON-safe)."""
    return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)


def parse_instant(value: Instant, name: str, tz: object = None) -> int | None:
    """``start``/``end`` as UTC seconds (a naive one read in ``tz`` when given)."""
    if value is None:
        return None
    try:
        t = _one_time(value, tz)
    except ValueError as exc:
        msg = f"{name}: unparsable timestamp ({exc})"
        raise FunnelDataError(msg) from None
    if t is None:
        msg = f"{name} must be a timestamp or None (got {value!r})"
        raise FunnelDataError(msg)
    return int(t.astype(np.int64))


def period(start: Instant, end: Instant, tz: object = None) -> tuple[int | None, int | None]:
    """The period's bounds in seconds (naive ones read in ``tz`` when given); ``end`` may
    not come before ``start``."""
    s, e = parse_instant(start, "start", tz), parse_instant(end, "end", tz)
    if s is not None and e is not None and e < s:
        msg = f"end must not be before start (got start={start!r}, end={end!r})"
        raise FunnelDataError(msg)
    return s, e


def iso(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return str(np.datetime64(int(seconds), "s"))


def check_mode(mode: str) -> None:
    if mode not in ("cumulative", "classic", "strict"):
        msg = f"mode must be 'cumulative', 'classic' or 'strict' (got {mode!r})"
        raise FunnelDataError(msg)


def group_names(log: DealLog, by: str | None) -> list[str | None]:
    if by is None:
        return [None]
    if by != "owner":
        msg = f"by must be None or 'owner' (got {by!r})"
        raise FunnelDataError(msg)
    if log.owner is None:
        raise FunnelDataError("by='owner' needs a log built with an owner column")
    return list(log.owners)


def left_out_counts(ev: eng.Events, by: By, n_groups: int) -> I64:
    """Deals left out for an unknown time, per result group."""
    if by is None:
        return np.array([ev.unknown], dtype=np.int64)
    if ev.unknown_by_owner is None:
        return np.zeros(n_groups, dtype=np.int64)
    return ev.unknown_by_owner.astype(np.int64)


def latest_time(log: DealLog) -> int | None:
    """The latest event time in seconds (``None`` when no event is dated)."""
    if not log.has_undated:  # every event dated (the constructor checked): no mask, no copy
        span = log.time_span
        return None if span is None else span[1]
    dated = log.time[~np.isnat(log.time)]
    return int(dated.max().astype(np.int64)) if dated.size else None


def readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def segments(keys: I64, n_groups: int) -> I64:
    """Bounds of each group's run in an array sorted by group (length n_groups + 1)."""
    bounds = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n_groups), out=bounds[1:])
    return bounds


@dataclass(frozen=True, slots=True)
class Snapshot:
    pipe: Pipeline
    ev: eng.Events
    t: int | None
    last: I64
    group: I64  # per deal group
    amount: F64 | None  # per deal last known amount


def snapshot(
    log: DealLog, pipeline: Pipeline | None, as_of: Instant, by: By, amount: bool = True
) -> Snapshot:
    pipe, codes = eng.label_codes(log, pipeline)
    t = parse_instant(as_of, "as_of")
    ev = eng.sorted_events(
        log, codes, upto=t, inclusive=True, amount=amount and log.amount is not None
    )
    last = ev.at("code", ev.ends)
    if by is None:
        group = np.zeros(len(ev.starts), dtype=np.int64)
    else:
        assert log.owner is not None
        group = ev.at("owner", ev.ends).astype(np.int64)
    amt = eng.last_amount(ev) if ev.amount is not None else None
    return Snapshot(pipe, ev, t, last, group, amt)


def as_of_or_latest(log: DealLog, as_of: Instant) -> Instant:
    """``as_of``, or the latest dated event when it is ``None`` (``None`` without one)."""
    if as_of is not None:
        return as_of
    latest = latest_time(log)
    return None if latest is None else np.datetime64(latest, "s")


def amount_scale(values: F64) -> float:
    """1.0, or a power of two by which to divide amounts so that no sum of them overflows.

    Amounts near the float limit (about 1.8e308) overflow when summed, with a
    warning, even where the true total fits. Dividing by a power of two is
    exact (bar amounts that are negligible next to the largest), so a sum of
    scaled amounts times the scale is the true total where it fits and
    ``inf``, silently, where it does not (Python floats do not warn). Logs
    whose sums cannot come near the limit get 1.0: their results do not
    change by a bit.
    """
    known = values[~np.isnan(values)]
    if not known.size:
        return 1.0
    top = float(np.abs(known).max())
    if top * known.size < 2.0**1000:
        return 1.0
    return math.ldexp(1.0, math.frexp(top)[1] - 1)  # |amount| / scale < 2


def stage_total(scaled_sum: float, scale: float) -> float | None:
    """A funnel stage's amount from a sum of scaled amounts (see :func:`amount_scale`).

    ``None`` (unknown) for a total beyond the float range: a stage amount must be finite.
    """
    total = scaled_sum * scale
    return total if math.isfinite(total) else None


COMPRESS_CHUNK = 1 << 16  # values per chunk of :func:`compress` (tests lower it)


def compress(mask: B, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``values[mask]`` of 1-D arrays, written into ``out[:count]`` when ``out`` is given.

    ``np.compress`` first lists the positions the mask selects, 8 bytes each:
    at millions of values that list is fresh memory, faulted in page by page
    (on this project's machines several times the copy's own time). A chunk
    at a time the list stays small and is reused from the allocator's free
    memory. The values and their order are ``values[mask]``'s (tested).
    """
    count = int(np.count_nonzero(mask))
    if out is None:
        out = np.empty(count, dtype=values.dtype)
    at = 0
    for a in range(0, mask.size, COMPRESS_CHUNK):
        part = mask[a : a + COMPRESS_CHUNK]
        m = int(np.count_nonzero(part))
        np.compress(part, values[a : a + COMPRESS_CHUNK], out=out[at : at + m])
        at += m
    return out[:count]


def bincount(values: npt.NDArray[np.integer], minlength: int) -> I64:
    """``np.bincount(values, minlength=minlength)`` of non-negative integers, a chunk at a time.

    ``np.bincount`` first copies its input to 8-byte integers: for millions of
    group codes (one to four bytes each) that is fresh memory every call. A
    chunk at a time the copy stays small. The counts are ``np.bincount``'s.
    Many groups (``minlength`` beyond a chunk: say a trend by day and owner)
    take one ``np.bincount``: a count table per chunk would cost more than
    the copy it spares.
    """
    if minlength > COMPRESS_CHUNK or values.size <= COMPRESS_CHUNK:
        return np.bincount(values, minlength=minlength).astype(np.int64, copy=False)
    out = np.zeros(minlength, dtype=np.intp)
    for a in range(0, values.size, COMPRESS_CHUNK):
        part = np.bincount(values[a : a + COMPRESS_CHUNK], minlength=out.size)
        if part.size > out.size:
            part[: out.size] += out
            out = part
        else:
            out += part
    return out.astype(np.int64, copy=False)
