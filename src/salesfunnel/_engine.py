"""The vectorised core of the deal-history analytics (private).

One pass sorts the events by (deal, time, label code) and every per-deal fact
is then read off the sorted columns with ``reduceat`` and fancy indexing, with
no Python loop over deals or events. The sort key is one packed int64 when the
fields fit in 63 bits (``np.sort`` of a single integer column is the fastest
sort numpy has), else a ``np.lexsort`` over the columns.

Order of a deal's events: by time; at equal times, by label code (pipeline
order: stages, then won, lost, frozen), so the result never depends on the
order of the input rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .deallog import DealLog
from .errors import FunnelDataError
from .pipeline import Pipeline

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

_MIN = np.iinfo(np.int64).min
DAY_S = 86_400


def label_codes(log: DealLog, pipeline: Pipeline | None) -> tuple[Pipeline, npt.NDArray[np.int8]]:
    """The log's label codes re-expressed in ``pipeline`` (default: the log's own)."""
    if pipeline is None or pipeline == log.pipeline:
        return log.pipeline, log.code
    if not isinstance(pipeline, Pipeline):
        msg = f"pipeline must be a Pipeline or None (got {type(pipeline).__name__})"
        raise FunnelDataError(msg)
    old = log.pipeline.labels
    present = np.unique(log.code)
    missing = [old[c] for c in present if old[c] not in pipeline]
    if missing:
        msg = f"the log has labels {missing!r} that the given pipeline lacks"
        raise FunnelDataError(msg)
    lut = np.array([pipeline.code(lab) if lab in pipeline else -1 for lab in old], np.int8)
    return pipeline, lut[log.code]


def _bits(n: int) -> int:
    return max(int(n).bit_length(), 1)


@dataclass(frozen=True, slots=True)
class Events:
    """Kept events sorted by (deal, time, code), with per-deal group bounds."""

    deal: I64  # dense deal code of the log
    code: I64
    lo: I64  # ordering time in seconds (exact time for dated events)
    known: B  # the event's own time is known
    owner: npt.NDArray[np.int32] | None
    amount: F64 | None
    starts: I64  # index of each deal's first event
    ends: I64  # index of each deal's last event
    unknown: int  # deals left out because an undated event straddles the bound


def sorted_events(
    log: DealLog,
    codes: npt.NDArray[np.int8],
    *,
    upto: int | None = None,
    inclusive: bool = True,
    amount: bool = False,
) -> Events:
    """Events at or before ``upto`` (or strictly before, ``inclusive=False``).

    An undated event is kept when its ordering bounds put it surely on the
    kept side of ``upto`` and dropped when surely on the other; a deal with an
    event that may fall on either side is left out and counted in
    ``unknown``.
    """
    deal, lo, hi = log.deal, log._lo, log._hi
    code: npt.NDArray[np.integer] = codes
    owner, amt = log.owner, (log.amount if amount else None)
    undated = np.isnat(log.time)
    has_undated = bool(undated.any())
    unknown = 0
    if upto is not None:
        keep = hi <= upto if inclusive else hi < upto
        if has_undated:
            maybe = ~keep & ((lo <= upto) if inclusive else (lo < upto))
            if maybe.any():
                bad = np.zeros(log.n_deals, dtype=bool)
                bad[deal[maybe]] = True
                unknown = int(np.count_nonzero(bad))
                keep &= ~bad[deal]
        if not keep.all():
            deal, lo, code, undated = deal[keep], lo[keep], code[keep], undated[keep]
            owner = None if owner is None else owner[keep]
            amt = None if amt is None else amt[keep]
    n = len(deal)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return Events(
            empty,
            empty,
            empty,
            np.zeros(0, bool),
            None if owner is None else np.zeros(0, np.int32),
            None if amt is None else np.zeros(0, np.float64),
            empty,
            empty,
            unknown,
        )
    placed = lo != _MIN
    base = int(lo[placed].min()) - 1 if placed.any() else 0
    rel = np.where(placed, lo - base, 0) if not placed.all() else lo - base
    span = int(rel.max())
    n_codes = _bits(int(code.max()))
    n_deal = _bits(log.n_deals)
    n_owner = 0 if owner is None else _bits(len(log.owners))
    n_time = _bits(span)
    perm: I64 | None = None
    if n_deal + n_time + n_codes + 1 + n_owner <= 63:
        # Pack (deal, time, code, undated, owner) into one int64 and sort that.
        key = deal.astype(np.int64) << (n_time + n_codes + 1 + n_owner)
        key |= rel << (n_codes + 1 + n_owner)
        key |= code.astype(np.int64) << (1 + n_owner)
        key |= undated.astype(np.int64) << n_owner
        if owner is not None:
            key |= owner.astype(np.int64)
        if amt is not None:
            perm = np.argsort(key, kind="stable")
            key = key[perm]
        else:
            key.sort()
        s_owner = None
        if owner is not None:
            s_owner = (key & ((1 << n_owner) - 1)).astype(np.int32)
        key >>= n_owner
        s_known = (key & 1) == 0
        key >>= 1
        s_code = key & ((1 << n_codes) - 1)
        key >>= n_codes
        s_rel = key & ((1 << n_time) - 1)
        key >>= n_time
        s_deal = key
        s_lo = np.where(s_rel == 0, _MIN, s_rel + base)
        s_amt = None if amt is None or perm is None else amt[perm]
    else:  # pragma: no cover - needs a time span of centuries in seconds
        perm = np.lexsort((undated, code, rel, deal))
        s_deal, s_code = deal[perm].astype(np.int64), code[perm].astype(np.int64)
        s_lo, s_known = lo[perm], ~undated[perm]
        s_owner = None if owner is None else owner[perm]
        s_amt = None if amt is None else amt[perm]
    flag = np.empty(n, dtype=bool)
    flag[0] = True
    np.not_equal(s_deal[1:], s_deal[:-1], out=flag[1:])
    starts = np.flatnonzero(flag)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:] - 1
    ends[-1] = n - 1
    return Events(s_deal, s_code, s_lo, s_known, s_owner, s_amt, starts, ends, unknown)


def furthest_open(ev: Events, n_stages: int) -> npt.NDArray[np.integer]:
    """Per deal, the highest open-stage code among its events (-1 if none)."""
    open_code = np.where(ev.code < n_stages, ev.code, -1).astype(np.int8)
    return np.maximum.reduceat(open_code, ev.starts)


def entered_bits(ev: Events) -> I64:
    """Per deal, a bit mask of the label codes it has events for."""
    return np.bitwise_or.reduceat(np.left_shift(1, ev.code), ev.starts)


def strict_depth(ev: Events, n_stages: int) -> I64:
    """Per deal, the largest j such that codes 0, 1, ..., j occur in order.

    Code ``n_stages`` (won) is the last step of the chain. -1 when the deal's
    first stage never occurs.
    """
    n = len(ev.code)
    n_deals = len(ev.starts)
    group = group_of_events(ev)
    idx = np.arange(n, dtype=np.int64)
    big = np.int64(n)
    pos = np.full(n_deals, -1, dtype=np.int64)
    depth = np.full(n_deals, -1, dtype=np.int64)
    alive = np.ones(n_deals, dtype=bool)
    for j in range(n_stages + 1):
        cand = np.where((ev.code == j) & (idx > pos[group]), idx, big)
        first = np.minimum.reduceat(cand, ev.starts)
        found = alive & (first < big)
        depth[found] = j
        pos = np.where(found, first, pos)
        alive = found
    return depth


def last_amount(ev: Events) -> F64:
    """Per deal, the amount of its last event with a known amount (NaN if none)."""
    assert ev.amount is not None
    idx = np.where(np.isnan(ev.amount), -1, np.arange(len(ev.amount)))
    last = np.maximum.reduceat(idx, ev.starts)
    out = np.full(len(ev.starts), np.nan)
    ok = last >= 0
    out[ok] = ev.amount[last[ok]]
    return out


def group_of_events(ev: Events) -> I64:
    """Per sorted event, the index of its deal's group."""
    flag = np.zeros(len(ev.code), dtype=np.int64)
    flag[ev.starts] = 1
    return np.cumsum(flag) - 1


def stage_times(ev: Events, chosen: B, n_stages: int) -> list[tuple[I64, I64, B]]:
    """Per open stage: the summed visit time (s) of each chosen deal that visited it.

    A visit to a stage lasts from its event to the deal's next event, so the
    span after a won, lost or frozen event counts in no stage. Returns, per
    stage, (deal groups, totals, known) over the chosen deals that visited it,
    where ``known`` is False when any visit had an undated end.
    """
    group = group_of_events(ev)
    n = len(ev.code)
    out: list[tuple[I64, I64, B]] = []
    none = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool))
    if n < 2:
        return [none for _ in range(n_stages)]
    same = group[1:] == group[:-1]
    base = same & chosen[group[:-1]]
    dur = ev.lo[1:] - ev.lo[:-1]
    ok = ev.known[1:] & ev.known[:-1]
    for j in range(n_stages):
        v = np.flatnonzero(base & (ev.code[:-1] == j))
        if v.size == 0:
            out.append(none)
            continue
        g = group[v]
        b = np.flatnonzero(np.concatenate(([True], g[1:] != g[:-1])))
        totals = np.add.reduceat(np.where(ok[v], dur[v], 0), b)
        known = np.logical_and.reduceat(ok[v], b)
        out.append((g[b], totals, known))
    return out
